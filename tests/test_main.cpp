// doctest's main. Every test file registers its cases; ctest runs each case separately.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
