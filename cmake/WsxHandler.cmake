# wsx_add_handler(NAME SOURCES...): builds the native handler NAME_wsh.so from SOURCES, against
# wsx/handler_abi.h only (a handler does not link against wsx). Put the .so in a handler directory
# and `wsx serve -w DIR` serves it at /NAME (or /SUB/NAME from DIR/SUB/).
#   include(path/to/wsx/cmake/WsxHandler.cmake)
#   wsx_add_handler(hello hello_wsh.cpp)
# The source tree's include/, unless set already (wsxConfig.cmake sets the installed one).
if(NOT DEFINED WSX_HANDLER_INCLUDE_DIR)
    set(WSX_HANDLER_INCLUDE_DIR "${CMAKE_CURRENT_LIST_DIR}/../include" CACHE PATH "wsx/handler_abi.h lives here")
endif()

function(wsx_add_handler name)
    add_library(${name}_wsh MODULE ${ARGN})
    set_target_properties(${name}_wsh PROPERTIES PREFIX "" OUTPUT_NAME "${name}_wsh"
        C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden)
    target_include_directories(${name}_wsh PRIVATE "${WSX_HANDLER_INCLUDE_DIR}")
endfunction()
