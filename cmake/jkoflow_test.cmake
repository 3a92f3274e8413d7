# jkoflow_add_test(NAME <name> SOURCES <files...> LIBS <targets...> [LABELS <labels...>] [TIMEOUT <s>])
# builds one GoogleTest binary and registers it with ctest under the given
# labels (default: fast).
include(GoogleTest)
function(jkoflow_add_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS fast)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main
                        ${JKOFLOW_ALLOCATOR})
  # Tests that see LibTorch reuse core's precompiled torch headers: on two
  # cores, parsing them dominates each test's compile time.
  foreach(lib jkoflow_core jkoflow_server_lib jkoflow_integration_support)
    if(lib IN_LIST ARG_LIBS)
      target_precompile_headers(${ARG_NAME} REUSE_FROM jkoflow_core)
      break()
    endif()
  endforeach()
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  # ctest runs tests side by side: spinning OpenMP workers of one test would
  # steal the cores the other waits for.
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}"
                       TIMEOUT ${ARG_TIMEOUT}
                       ENVIRONMENT "OMP_WAIT_POLICY=PASSIVE")
endfunction()
