// Must not compile: mount (and everything above it) sees only fs/include.
// tests/build/layers_test.cmake builds this and expects the header to be
// missing.
#include "fs/inode_table.h"

int main() { return 0; }
