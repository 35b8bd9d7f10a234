"""Content codings: what a client takes (Accept-Encoding, RFC 9110 §12.5.3), and compressing answers for it.

Public answers are compressed once per coding, when a client first asks for it (curation/api/caching.py keeps each
coding beside the raw bytes): an answer no one asks compressed is never compressed, and a warm answer costs no
compression. `CompressionMiddleware` compresses only what is not stored (staff answers, errors, answers
to a request that missed no cache because none was kept), at the same levels, so that a client sees one coding per
Accept-Encoding whichever path answered.
"""

import gzip
import re

import brotli
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# In the server's order of preference among codings a client weighs equally: brotli is some 15% smaller than gzip
# on these answers at the same cost.
CODINGS = ("br", "gzip")
# Brotli 6 and gzip 6 compress the 78 kB lookup in about 1 ms each, to 10.6 and 12.1 kB; brotli 11 saves another
# 800 bytes for 70 ms, which a cold answer would pay.
BROTLI_QUALITY = 6
GZIP_LEVEL = 6
# Below this, the coding's own framing and the client's decoding cost more than the bytes saved.
MIN_COMPRESSED_BYTES = 512
COMPRESSIBLE = re.compile(r"^(text/|application/(json|problem\+json|javascript|x-ndjson|vnd\.oai\.openapi|yaml)\b)")
# Where answers are compressed: the API, its schema, the widget and oEmbed (the admin's pages carry CSRF tokens,
# which compression next to reflected input would expose to BREACH).
COMPRESSED_PREFIXES = ("/api/", "/embed/", "/oembed")


def accepted_codings(request: HttpRequest) -> dict[str, float]:
    """Each coding the client named, with its weight (q); `identity` is acceptable unless refused."""
    weights: dict[str, float] = {}
    for item in request.headers.get("Accept-Encoding", "").split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        if not coding:
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.lower()] = weight
    return weights


def accepts_gzip(request: HttpRequest) -> bool:
    weights = accepted_codings(request)
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def preferred_coding(request: HttpRequest) -> str:
    """The coding to answer in: the client's highest-weighted among CODINGS (ours breaking ties), else identity."""
    weights = accepted_codings(request)
    wildcard = weights.get("*", 0.0)
    best, best_weight = "identity", 0.0
    for coding in CODINGS:
        weight = weights.get(coding, weights.get("x-gzip", wildcard) if coding == "gzip" else wildcard)
        if weight > best_weight:
            best, best_weight = coding, weight
    return best


def compressible(response: HttpResponse) -> bool:
    return (
        not response.streaming
        and not response.has_header("Content-Encoding")
        and len(response.content) >= MIN_COMPRESSED_BYTES
        and bool(COMPRESSIBLE.match(response.get("Content-Type", "")))
    )


def encode(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY)
    if coding == "gzip":
        # mtime=0: the same body always gives the same bytes, so the ETag that names them holds.
        return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    return body


def with_coding(variants: dict[str, bytes], coding: str) -> dict[str, bytes] | None:
    """`variants` (the body as it is, under "identity", and in the codings compressed so far) with `coding` added,
    or None when there is nothing to add: it is there already, is not one the site answers in, or compressing this
    body would not pay."""
    body = variants["identity"]
    if coding in variants or coding not in CODINGS or len(body) < MIN_COMPRESSED_BYTES:
        return None
    return variants | {coding: encode(body, coding)}


def apply_coding(response: HttpResponse, body: bytes, coding: str) -> HttpResponse:
    response.content = body
    if coding != "identity":
        response["Content-Encoding"] = coding
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(body))
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


class CompressionMiddleware:
    """Compresses what no cache stored encoded already, in the coding the client prefers."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(COMPRESSED_PREFIXES):
            return response
        if not response.streaming and not response.has_header("Content-Encoding"):
            # Whether or not this answer is compressed, another request's may be: caches must tell them apart.
            patch_vary_headers(response, ("Accept-Encoding",))
        if compressible(response):
            coding = preferred_coding(request)
            if coding != "identity":
                apply_coding(response, encode(response.content, coding), coding)
        return response
