#pragma once
// Names shared by the feature cache's writer (feature_cache.cpp) and reader
// (feature_cache_read.cpp); docs/feature_cache.md describes the layout they spell.
#include <cstdint>

namespace uniad::data::cache_layout {

inline constexpr const char* kFormat = "uniad-feature-cache";  // attribute "format" at "/"
// 1: the layout in feature_cache.h. Bump when a reader of the old layout would misread the new one.
inline constexpr int64_t kFormatVersion = 1;
inline constexpr const char* kSplits[] = {"train", "test"};  // written in this order

}  // namespace uniad::data::cache_layout
