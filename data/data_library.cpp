// data/: image decoding and resizing, data set loaders (MVTec-AD layout, CIFAR-10, IDX),
// the generated texture benchmark, frozen backbones and the feature cache. Each lives in its
// own file here; this one only anchors the library so that it builds while it grows.
namespace uniad::data {}
