# JKOFLOW_SANITIZE builds every jkoflow target with sanitizers:
#   -DJKOFLOW_SANITIZE=address,undefined   ASan + UBSan (make test-asan)
#   -DJKOFLOW_SANITIZE=thread              TSan (make test-tsan)
# Empty (the default) builds without. Only our own targets are
# instrumented; LibTorch, gRPC, Abseil and the other Debian libraries are
# not (deploy/tsan.supp says what that costs TSan).
set(JKOFLOW_SANITIZE "" CACHE STRING
    "Sanitizers for jkoflow targets: address,undefined or thread")

if(JKOFLOW_SANITIZE)
  string(REPLACE "," ";" sanitizers "${JKOFLOW_SANITIZE}")
  foreach(s IN LISTS sanitizers)
    if(NOT s MATCHES "^(address|undefined|thread)$")
      message(FATAL_ERROR "JKOFLOW_SANITIZE: unknown sanitizer '${s}' "
                          "(use address,undefined or thread)")
    endif()
  endforeach()
  if("thread" IN_LIST sanitizers AND
     "address" IN_LIST sanitizers)
    message(FATAL_ERROR "JKOFLOW_SANITIZE: thread and address exclude "
                        "each other")
  endif()
  # -g1: line tables only, so reports name files and lines without the
  # size of full debug information for LibTorch's headers.
  add_compile_options(-fsanitize=${JKOFLOW_SANITIZE} -fno-omit-frame-pointer
                      -g1)
  add_link_options(-fsanitize=${JKOFLOW_SANITIZE})
  message(STATUS "jkoflow: sanitizers ${JKOFLOW_SANITIZE}")
endif()

# JKOFLOW_FUZZ (clang only) adds libFuzzer's coverage instrumentation to
# every target and builds fuzz/<name>_fuzz binaries next to the corpus
# replays (make fuzz, in build-fuzz).
option(JKOFLOW_FUZZ "Build the libFuzzer targets (clang)" OFF)
if(JKOFLOW_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "JKOFLOW_FUZZ needs clang (CXX=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
