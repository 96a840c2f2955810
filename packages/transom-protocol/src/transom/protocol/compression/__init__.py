"""Content-codings: incremental decoders and encoders, and their negotiation.

``gzip``, ``deflate`` (zlib or raw on input, zlib on output), ``br`` (extra
``brotli``) and ``zstd`` (extra ``zstd``), plus ``identity``. Decoders cap the
decoded size of each message against compression bombs; encoders can flush
mid-stream for streaming responses; :func:`negotiate_encoding` picks a coding
from ``Accept-Encoding``.
"""

from transom.protocol.compression._decoders import (
    DEFAULT_MAX_CODINGS,
    DEFAULT_MAX_DECOMPRESSED_SIZE,
    Decoder,
    make_decoder,
)
from transom.protocol.compression._encoders import (
    DEFAULT_BROTLI_QUALITY,
    DEFAULT_GZIP_LEVEL,
    DEFAULT_ZSTD_LEVEL,
    Encoder,
    make_encoder,
)
from transom.protocol.compression._errors import (
    DecodingError,
    DecompressionLimitError,
    EncodingError,
    UnsupportedEncodingError,
)
from transom.protocol.compression._libraries import available_encodings
from transom.protocol.compression._negotiation import negotiate_encoding, parse_accept_encoding

__all__ = [
    "DEFAULT_BROTLI_QUALITY",
    "DEFAULT_GZIP_LEVEL",
    "DEFAULT_MAX_CODINGS",
    "DEFAULT_MAX_DECOMPRESSED_SIZE",
    "DEFAULT_ZSTD_LEVEL",
    "Decoder",
    "DecodingError",
    "DecompressionLimitError",
    "Encoder",
    "EncodingError",
    "UnsupportedEncodingError",
    "available_encodings",
    "make_decoder",
    "make_encoder",
    "negotiate_encoding",
    "parse_accept_encoding",
]
