"""Every limit that protects mlzip against hostile or absurd input lives here, and only here."""

# Largest input file mlzip compresses at all (larger files are refused with a clear error).
MAX_INPUT_BYTES = 1 << 32  # 4 GiB
# JPEG files above this size skip the coefficient path and go to zstd.
MAX_JPEG_BYTES = 256 << 20  # 256 MiB
# Largest image the JPEG layer will decode into coefficients (width * height, per frame).
MAX_JPEG_PIXELS = 200_000_000
MAX_JPEG_DIMENSION = 65_535
# A declared original size above this in an .mlz member is treated as corruption.
MAX_MEMBER_ORIGINAL_BYTES = MAX_INPUT_BYTES
# Most sections one .mlz member may declare, and longest stored original name.
MAX_MEMBER_SECTIONS = 4096
MAX_NAME_BYTES = 4096
# Most scans one JPEG may have (progressive scripts use about 10; each scan walks the block grid).
MAX_JPEG_SCANS = 128

# Declared blocks (8x8, all components) a JPEG may have: a free allowance plus so many per input byte.
# A complete JPEG codes every block with at least one bit (a Huffman code is at least one bit long),
# so it has at most 8 blocks per byte of scan data (flat images from Pillow at quality 1: under 4);
# more means a hostile header or a mostly missing file, which would cost memory and time out of all
# proportion to its size (a 400-byte file declaring 8000x8000). Compress refuses such files (they
# go to zstd) before allocating anything of the declared size.
JPEG_FREE_BLOCKS = 1 << 16
JPEG_BLOCKS_PER_BYTE = 8
# Decode: an .mlz member whose JPEG header declares more than this is corrupt. Larger than the
# compress bound because members written while that bound was 16 blocks per byte (before
# 2026-11-25) must decode forever.
JPEG_DECODE_BLOCKS_PER_BYTE = 16


def max_jpeg_blocks(input_bytes: int) -> int:
    """Most declared blocks compress accepts in a JPEG file of input_bytes bytes (JPEG_BLOCKS_PER_BYTE)."""
    return JPEG_FREE_BLOCKS + JPEG_BLOCKS_PER_BYTE * input_bytes


# A learned model's network runs over every declared block (hundreds of MB and tens of seconds for a
# hostile 450 KB file declaring 3.5 M blocks with --model rnn-xs-v1): above this many blocks per input
# byte (real photos: under 0.3, CIFAR-10: 0.02, flat quality-1 images: under 4) compress codes the
# file with the classic model instead, which the member records, so decoding needs no such rule.
LEARNED_BLOCKS_PER_BYTE = 4


def learned_model_fits(blocks: int, input_bytes: int) -> bool:
    """Whether a learned model may code a JPEG declaring ``blocks`` blocks in ``input_bytes`` bytes."""
    return blocks <= JPEG_FREE_BLOCKS + LEARNED_BLOCKS_PER_BYTE * input_bytes


def max_decoded_jpeg_blocks(original_size: int) -> int:
    """Most declared blocks a member's JPEG of original_size bytes may have when decoding."""
    return JPEG_FREE_BLOCKS + JPEG_DECODE_BLOCKS_PER_BYTE * original_size
