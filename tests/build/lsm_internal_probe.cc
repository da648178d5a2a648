// Must not compile: fs (and everything above it) sees only lsm/include.
// tests/build/layers_test.cmake builds this and expects the header to be
// missing.
#include "lsm/table.h"

int main() { return 0; }
