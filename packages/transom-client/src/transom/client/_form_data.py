"""``FormData``: HTML form bodies, urlencoded or multipart."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import IO, Any

from multidict import MultiDict, MultiDictProxy

from transom.client._payload import BytesPayload, FilePayload, Payload
from transom.protocol.multipart import MultipartEncoder, Part
from transom.protocol.urlencoded import encode_urlencoded

__all__ = ["FormData"]

_FieldValue = str | bytes | bytearray | IO[bytes] | IO[str] | io.IOBase | int | float


class _Field:
    __slots__ = ("content_type", "filename", "headers", "name", "value")

    def __init__(
        self,
        name: str,
        value: Any,
        content_type: str | None,
        filename: str | None,
        headers: tuple[tuple[str, str], ...],
    ) -> None:
        self.name = name
        self.value = value
        self.content_type = content_type
        self.filename = filename
        self.headers = headers


class FormData:
    """Fields of an HTML form, sent as ``data=form``.

    Plain text fields make an ``application/x-www-form-urlencoded`` body; a
    file, a filename, a content type on a field, or
    ``default_to_multipart=True`` make a ``multipart/form-data`` body in
    which files are streamed rather than read into memory.

    Args:
        fields: Initial fields, as :meth:`add_fields` takes them.
        quote_fields: Accepted for call compatibility; names are always
            encoded as RFC 7578 requires.
        charset: The charset of text fields (UTF-8 by default).
        boundary: A fixed multipart boundary (a random one by default).
        default_to_multipart: Use multipart even for text-only forms.
    """

    def __init__(
        self,
        fields: Iterable[Any] | Mapping[str, Any] = (),
        quote_fields: bool = True,
        charset: str | None = None,
        boundary: str | None = None,
        *,
        default_to_multipart: bool = False,
    ) -> None:
        self._fields: list[_Field] = []
        self._charset = charset or "utf-8"
        self._boundary = boundary
        self._multipart = default_to_multipart
        self._quote_fields = quote_fields
        if isinstance(fields, Mapping):
            self.add_fields(*fields.items())
        elif fields:
            self.add_fields(*fields)

    @property
    def is_multipart(self) -> bool:
        """Whether the body will be ``multipart/form-data``."""
        return self._multipart

    def add_field(
        self,
        name: str,
        value: _FieldValue,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Append a field.

        Args:
            name: The field name.
            value: Text, bytes, a number, or a file object (streamed).
            content_type: The part's Content-Type (makes the form multipart).
            filename: The part's filename (makes the form multipart);
                defaults to the base name of a file object's ``name``.
            headers: More part headers (makes the form multipart).

        Raises:
            TypeError: ``value`` is of another type.
        """
        if isinstance(value, io.IOBase | io.BufferedReader) or hasattr(value, "read"):
            if filename is None:
                raw_name = getattr(value, "name", None)
                filename = os.path.basename(raw_name) if isinstance(raw_name, str) else name
            self._multipart = True
        elif isinstance(value, bool) or not isinstance(
            value, str | bytes | bytearray | int | float
        ):
            raise TypeError(f"Form field {name!r} has a value of unsupported type {type(value)}")
        elif isinstance(value, int | float):
            value = str(value)
        if content_type is not None or filename is not None or headers:
            self._multipart = True
        self._fields.append(
            _Field(name, value, content_type, filename, tuple((headers or {}).items()))
        )

    def add_fields(self, *fields: Any) -> None:
        """Append several fields.

        Each item is a ``(name, value)`` pair, a mapping or multidict of
        them, or a file object (its base name is the field name).
        """
        for field in fields:
            if isinstance(field, MultiDict | MultiDictProxy | Mapping):
                for name, value in field.items():
                    self.add_field(name, value)
            elif isinstance(field, io.IOBase):
                name = os.path.basename(str(getattr(field, "name", "file")))
                self.add_field(name, field)
            elif isinstance(field, tuple | list) and len(field) == 2:
                self.add_field(field[0], field[1])
            else:
                raise TypeError(f"Cannot add {field!r} as a form field: use (name, value)")

    def __call__(self) -> Payload:
        """The body for the current fields."""
        if not self._multipart:
            pairs = [(field.name, field.value) for field in self._fields]
            body = encode_urlencoded(pairs, encoding=self._charset)
            return BytesPayload(body, "application/x-www-form-urlencoded")
        return _MultipartPayload(self._fields, MultipartEncoder(self._boundary), self._charset)


class _MultipartPayload(Payload):
    def __init__(self, fields: list[_Field], encoder: MultipartEncoder, charset: str) -> None:
        self._encoder = encoder
        self.content_type = encoder.content_type
        self._parts: list[tuple[bytes, bytes | FilePayload]] = []
        size: int | None = len(encoder.close())
        for field in fields:
            content: bytes | FilePayload
            if isinstance(field.value, str):
                content = field.value.encode(charset)
            elif isinstance(field.value, bytes | bytearray):
                content = bytes(field.value)
            else:
                content = FilePayload(field.value)
            part = Part(
                field.name,
                filename=field.filename,
                content_type=field.content_type,
                headers=field.headers,
            )
            header = encoder.part_header(part)
            self._parts.append((header, content))
            content_size = len(content) if isinstance(content, bytes) else content.size
            if size is not None and content_size is not None:
                size += len(header) + content_size + len(encoder.part_end())
            else:
                size = None
        self.size = size

    @property
    def replayable(self) -> bool:
        return all(isinstance(c, bytes) or c.replayable for _, c in self._parts)

    async def chunks(self) -> AsyncIterator[bytes]:
        end = self._encoder.part_end()
        for header, content in self._parts:
            yield header
            if isinstance(content, bytes):
                if content:
                    yield content
            else:
                async for chunk in content.chunks():
                    yield chunk
            yield end
        yield self._encoder.close()
