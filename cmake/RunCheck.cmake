# RunCheck.cmake - run a command and compare its standard output with an
# expected file, for CTest. Fails if the command exits non-zero or if the
# output differs (a diff-like report is printed).
#
#   cmake -DCMD="prog;arg1;arg2" -DEXPECTED=file.expected
#         [-DWORKDIR=dir] -P RunCheck.cmake
if(NOT CMD OR NOT EXPECTED)
  message(FATAL_ERROR "RunCheck.cmake: CMD and EXPECTED are required")
endif()
if(NOT WORKDIR)
  set(WORKDIR ".")
endif()
execute_process(COMMAND ${CMD}
                WORKING_DIRECTORY "${WORKDIR}"
                RESULT_VARIABLE rc
                OUTPUT_VARIABLE out
                ERROR_VARIABLE errout)
file(READ "${EXPECTED}" want)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "command failed (exit ${rc}): ${CMD}\n"
                      "--- stdout ---\n${out}--- stderr ---\n${errout}")
endif()
if(NOT out STREQUAL want)
  message(FATAL_ERROR "output differs from ${EXPECTED}\n"
                      "--- expected ---\n${want}--- got ---\n${out}"
                      "--- stderr ---\n${errout}")
endif()
message(STATUS "output matches ${EXPECTED}")
