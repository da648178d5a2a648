# The layers' private headers are out of reach: building PROBE (a target
# that includes HEADER, a private header of a lower layer, with only the
# include paths its libraries give it) must fail because HEADER is not
# found. Any other outcome fails the test: a build that succeeds means the
# layer's private headers leak; a build that fails for another reason
# proves nothing.
#
#   cmake -DBUILD_DIR=... -DPROBE=target -DHEADER=lsm/table.h -P layers_test.cmake
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${PROBE}
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(result EQUAL 0)
  message(FATAL_ERROR "${PROBE} compiled: ${HEADER} is reachable from outside its layer")
endif()
string(REPLACE "." "\\." header_re "${HEADER}")
if(NOT out MATCHES "${header_re}: No such file or directory" AND
   NOT out MATCHES "'${header_re}' file not found")
  message(FATAL_ERROR "${PROBE} failed, but not for want of ${HEADER}:\n${out}")
endif()
message(STATUS "${HEADER} is out of reach of ${PROBE}")

# No source climbs out of its directory to reach another's files.
file(GLOB_RECURSE sources ${SOURCE_DIR}/lsm/*.h ${SOURCE_DIR}/lsm/*.cc ${SOURCE_DIR}/fs/*.h
     ${SOURCE_DIR}/fs/*.cc ${SOURCE_DIR}/mount/*.h ${SOURCE_DIR}/mount/*.cc
     ${SOURCE_DIR}/integration/*.cc)
foreach(source ${sources})
  file(STRINGS ${source} climbs REGEX "^#include \"\\.\\./")
  if(climbs)
    message(FATAL_ERROR "${source}: ${climbs}")
  endif()
endforeach()
