"""Who is asking: the caller's groups, from a signed bearer token or a trusted proxy header.

- ``Authorization: Bearer <JWT>``, HS256-signed with ``ACCESS_TOKEN_SECRET``, claims ``sub``
  (string), ``groups`` (list of strings) and ``exp`` (required). A malformed, wrongly signed
  or expired token — or any token while no secret is configured — is a 401, never a silent
  fall-back to fewer or more rights.
- ``ACCESS_GROUPS_HEADER`` (comma-separated groups) is honoured only on connections from
  ``TRUSTED_PROXIES``; from anywhere else it is ignored.
- Neither: an anonymous caller, who reads public documents only.

Every route that returns document text builds its filters from the ``Caller`` here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Header, HTTPException, Request

from config import Settings
from indexer.records import Document, SearchFilters, readable_by
from service.api.deps import get_app_settings

log = logging.getLogger(__name__)
ALGORITHMS = ["HS256"]


@dataclass(frozen=True)
class Caller:
    sub: str | None
    groups: frozenset[str]

    def may_read(self, doc: Document) -> bool:
        return readable_by(doc, self.groups)

    def filters(self, base: SearchFilters | None, settings: Settings, as_of: str | None = None) -> SearchFilters:
        """The request's metadata filters plus this caller's groups and the lifecycle policy."""
        fields = {} if base is None else {k: getattr(base, k) for k in
                                          ("doc_id", "doc_number", "issuer", "date_from", "date_to")}
        return SearchFilters(**fields, groups=self.groups, lifecycle=settings.lifecycle_policy, as_of=as_of)


ANONYMOUS = Caller(None, frozenset())


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(status_code=401, detail=f"invalid bearer token: {reason}",
                         headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def caller_from_token(token: str, secret: str) -> Caller:
    if not secret:
        raise _unauthorized("this service does not accept tokens (ACCESS_TOKEN_SECRET is not set)")
    try:
        claims = jwt.decode(token, secret, algorithms=ALGORITHMS, options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise _unauthorized("expired") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _unauthorized(f"missing claim {exc.claim!r}") from None
    except jwt.InvalidTokenError as exc:
        raise _unauthorized(type(exc).__name__) from None
    groups = claims.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise _unauthorized("the groups claim must be a list of strings")
    if not isinstance(claims["sub"], str):
        raise _unauthorized("the sub claim must be a string")
    return Caller(claims["sub"], frozenset(groups))


def get_caller(
    request: Request,
    settings: Annotated[Settings, Depends(get_app_settings)],
    authorization: Annotated[str | None, Header(description="Bearer <JWT HS256>; omit for public documents only")]
    = None,
) -> Caller:
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("expected 'Authorization: Bearer <token>'")
        return caller_from_token(token.strip(), settings.access_token_secret)
    header = settings.access_groups_header
    if header and (value := request.headers.get(header)) is not None:
        client = request.client.host if request.client else ""
        if client in settings.trusted_proxies:
            return Caller(f"proxy:{client}", frozenset(g.strip() for g in value.split(",") if g.strip()))
        log.warning("ignored %s header from untrusted address %s", header, client)
    return ANONYMOUS


AccessDep = Annotated[Caller, Depends(get_caller)]
