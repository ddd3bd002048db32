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
