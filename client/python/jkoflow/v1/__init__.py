"""The jkoflow.v1 gRPC messages and stubs, generated from proto/jkoflow/v1.

Written by client/python/regenerate.sh; do not edit. The ctest
python_generated_code_test fails when they no longer match proto/.
"""
