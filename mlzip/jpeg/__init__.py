"""The JPEG layer: bit-exact transcoding between JPEG files and quantized DCT coefficients.

    img = parse(data)                  # UnsupportedJpeg for anything it cannot rebuild exactly
    img.encode() == data
    header, layout = to_parts(img)     # raw header bytes up to the first SOS; compact rebuild info
    describe(header, layout)           # component shapes and quantization tables, no coefficients
    from_parts(header, layout, [c.coefs for c in img.components]).encode() == data
    img.info()                         # what describe(header, layout) gives, from the parse itself
    describe(header, layout).rebuild(coefs)   # from_parts without walking the parts a second time
    coefficient_planes(shapes)         # zeroed planes in one buffer: from_parts uses them without a copy

Coefficients are int16 [blocks_y, blocks_x, 64] in natural (row-major 8x8) order, never zigzag.
No pixels and no IDCT anywhere on this path.
"""

from mlzip.jpeg.image import (Component, ComponentInfo, JpegImage, JpegInfo, coefficient_planes, describe, from_parts,
                              parse, to_parts)

__all__ = ["Component", "ComponentInfo", "JpegImage", "JpegInfo", "coefficient_planes", "describe", "from_parts", "parse", "to_parts"]
