#pragma once
// Resizing, normalisation and the flips/rotations used for augmentation, on 8-bit Images
// (data/image.h: H x W x C, row-major, interleaved, any C from 1 to 4).
//
// resize_bilinear reproduces PIL's Image.resize(size, Image.BILINEAR) bit for bit, because the
// reference implementation preprocesses with PIL: a triangle filter whose support grows with
// the downscale factor (so downscaling averages, i.e. is antialiased), applied as two separable
// passes (horizontal, then vertical, an 8-bit image in between), with coefficients in 22-bit
// fixed point and rounding as in Pillow's libImaging/Resample.c. A pass whose size does not
// change is skipped, as in Pillow.
//
// resize_nearest reproduces Image.resize(size, Image.NEAREST): output pixel x takes source
// pixel floor((x + 0.5) * in / out), accumulated in double as Pillow's affine scaler does.
//
// This is not the neck's bilinear resize (tensor/resize.h: align_corners=True point sampling
// on feature maps): that one samples, this one filters.
#include "data/image.h"
#include "tensor/tensor.h"

namespace uniad::data {

// 8-bit image -> 8-bit image of height x width, same channels.
Image resize_bilinear(const Image& image, int height, int width);
Image resize_nearest(const Image& image, int height, int width);

// ImageNet mean and std per RGB channel (torchvision's values).
inline constexpr float kImageNetMean[3] = {0.485f, 0.456f, 0.406f};
inline constexpr float kImageNetStd[3] = {0.229f, 0.224f, 0.225f};

// 8-bit RGB H x W x 3 -> float32 Tensor [3, H, W] (channel-first, as the backbone wants):
// (v / 255 - mean[c]) / std[c], in float32 like torchvision's ToTensor + Normalize.
Tensor to_normalized_tensor(const Image& rgb);
// 8-bit grey mask H x W x 1 -> float32 Tensor [H, W] of 0 and 1: any value > 0 is defect.
Tensor mask_to_tensor(const Image& grey);

// Flips and rotations. Rotations turn counter-clockwise, as PIL's Image.ROTATE_90/180/270.
Image flip_horizontal(const Image& image);  // left <-> right
Image flip_vertical(const Image& image);    // top <-> bottom
Image rotate90(const Image& image);         // H x W -> W x H
Image rotate180(const Image& image);
Image rotate270(const Image& image);        // H x W -> W x H

}  // namespace uniad::data
