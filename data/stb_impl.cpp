// The one translation unit that compiles stb_image and stb_image_write (Debian's libstb-dev
// ships the headers; defining the implementation here keeps the build free of a shared-library
// dependency and pins the decoder to the header we compile against). Everything else includes
// the headers for declarations only, through data/image.cpp.
//
// stb is third-party C written for many compilers; its warnings under -Wall -Wextra are not
// ours to fix, so they are silenced for this file alone.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wtype-limits"
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_write.h>
#pragma GCC diagnostic pop
