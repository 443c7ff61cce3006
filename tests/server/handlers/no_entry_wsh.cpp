// A shared object that is not a handler: no wsx_handler_entry.
extern "C" __attribute__((visibility("default"))) int something_else(void) {
    return 42;
}
