"""Header and claim assertions, in the reference SDK's order and words.

Each check is straight-line code over options normalised in advance (see
:class:`~clerk_core.options.VerifyOptions`). Times follow the reference's
arithmetic: a claim in seconds is truncated toward zero and compared in
milliseconds, so a token is expired iff ``trunc(exp) * 1000 <= now - skew``,
not active yet iff ``trunc(nbf) * 1000 > now + skew``, and issued in the
future iff ``trunc(iat) * 1000 > now + skew``.

Messages render values as JavaScript's ``JSON.stringify`` does (a missing
value prints ``undefined``) because they travel in ``x-clerk-auth-message``
headers that users compare with the reference. One deliberate difference:
a numeric claim must be a *finite* number. JSON ``1e400`` (Infinity in
JavaScript, where such a token never expires) is already refused by the
decoder as out of range (``token-invalid``); the finiteness check here
guards claims handed in by other means.
"""

from __future__ import annotations

import math
from typing import Any, Final

from ..errors import TokenVerificationError
from ..errors import TokenVerificationErrorAction as Action
from ..errors import TokenVerificationErrorReason as Reason
from ..options import VerifyOptions

__all__ = [
    "MISSING",
    "check_algorithm",
    "check_audience",
    "check_claims",
    "check_header_type",
    "check_oauth_audience",
    "js_json",
]

#: Marks a member absent from a JSON object (JavaScript's ``undefined``).
MISSING: Final[Any] = type("Missing", (), {"__repr__": lambda self: "undefined", "__slots__": ()})()
_DEFAULT_TYPES: Final = ("JWT",)
_MAX_DATE_MS: Final = 8.64e15  # beyond this a JavaScript Date is "Invalid Date"


def js_json(value: object) -> str:
    """``JSON.stringify(value)`` as interpolated in a template string."""
    if value is MISSING:
        return "undefined"
    import json  # error messages only

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _time_ms(claim: str, value: object) -> float:
    """A time claim in epoch milliseconds; a non-number (or non-finite) is refused.

    JSON integers, what Clerk sends, take the first branch: one type check.
    """
    if type(value) is int:
        return value * 1000.0
    if type(value) is float and math.isfinite(value):
        return math.trunc(value) * 1000.0
    raise _number_error(claim, value)


_DAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _utc(ms: float) -> str:
    """``new Date(ms).toUTCString()``: ``Mon, 24 Oct 2022 21:50:50 GMT``.

    Formatted by hand from ``time.gmtime``: every expired token pays for two of these, and
    ``datetime.strftime`` costs several times as much (the rejection path is timed).
    Years print as JavaScript prints them: four digits at least, ``-`` before years BCE.
    """
    if not abs(ms) <= _MAX_DATE_MS:
        return "Invalid Date"
    import time  # error messages only

    try:
        t = time.gmtime(math.floor(ms / 1000))
    except (OverflowError, OSError, ValueError):
        return "Invalid Date"
    year = f"-{-t.tm_year:04d}" if t.tm_year < 0 else f"{t.tm_year:04d}"
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def _number_error(claim: str, value: object) -> TokenVerificationError:
    return TokenVerificationError(
        Reason.TOKEN_VERIFICATION_FAILED,
        f"Invalid JWT {claim} {js_json(value)}. Expected number.",
        action=Action.ENSURE_CLERK_JWT,
    )


def check_header_type(typ: object, allowed: tuple[str, ...] | None) -> None:
    """``typ`` must be one of ``allowed`` (default ``JWT``); a missing ``typ`` passes when none is configured."""
    if typ is MISSING and allowed is None:
        return
    expected = allowed or _DEFAULT_TYPES
    if typ not in expected:
        raise TokenVerificationError(
            Reason.TOKEN_INVALID,
            f'Invalid JWT type {js_json(typ)}. Expected "{", ".join(expected)}".',
            action=Action.ENSURE_CLERK_JWT,
        )


def check_algorithm(alg: object, allowed: tuple[str, ...]) -> str:
    """``alg`` must be in the allow-list; returns it typed."""
    if not isinstance(alg, str) or alg not in allowed:
        raise TokenVerificationError(
            Reason.TOKEN_INVALID_ALGORITHM,
            f"Invalid JWT algorithm {js_json(alg)}. Supported: {','.join(allowed)}.",
            action=Action.ENSURE_CLERK_JWT,
        )
    return alg


def check_audience(aud: object, audience: tuple[str, ...] | None) -> None:
    """The reference's ``assertAudienceClaim``: exact match, string or string-array ``aud``.

    Skipped when either side is empty once falsy entries are dropped; an ``aud``
    that is neither a string nor an array of strings is not checked (as there).
    """
    if audience is None:
        return
    flat = aud if isinstance(aud, list) else [aud]
    if not any(item for item in flat if item is not MISSING):
        return
    shown = js_json(list(audience))
    if isinstance(aud, str):
        if aud not in audience:
            raise TokenVerificationError(
                Reason.TOKEN_VERIFICATION_FAILED,
                f'Invalid JWT audience claim (aud) {js_json(aud)}. Is not included in "{shown}".',
                action=Action.ENSURE_CLERK_JWT,
            )
    elif (
        isinstance(aud, list)
        and all(isinstance(item, str) for item in aud)
        and not any(item in audience for item in aud)
    ):
        raise TokenVerificationError(
            Reason.TOKEN_VERIFICATION_FAILED,
            f'Invalid JWT audience claim array (aud) {js_json(aud)}. Is not included in "{shown}".',
            action=Action.ENSURE_CLERK_JWT,
        )


def check_claims(payload: dict[str, Any], options: VerifyOptions, now: float) -> None:
    """Run the claim assertions in the reference order: sub, aud, azp, iss, exp, nbf, iat."""
    get = payload.get
    sub = get("sub", MISSING)
    if not isinstance(sub, str):
        raise TokenVerificationError(
            Reason.TOKEN_VERIFICATION_FAILED,
            f"Subject claim (sub) is required and must be a string. Received {js_json(sub)}.",
            action=Action.ENSURE_CLERK_JWT,
        )
    if options.audience is not None:
        check_audience(get("aud", MISSING), options.audience)
    parties = options.authorized_parties
    if parties is not None:
        azp = get("azp", MISSING)
        if not azp or azp is MISSING or azp not in parties:
            raise TokenVerificationError(
                Reason.TOKEN_INVALID_AUTHORIZED_PARTIES,
                f'Invalid JWT Authorized party claim (azp) {js_json(azp)}. Expected "{",".join(parties)}".',
            )
    if options.issuer is not None:
        iss = get("iss", MISSING)
        if iss not in options.issuer:
            raise TokenVerificationError(
                Reason.TOKEN_INVALID_ISSUER,
                f'Invalid JWT issuer claim (iss) {js_json(iss)}. Expected "{",".join(options.issuer)}".',
                action=Action.ENSURE_CLERK_JWT,
            )
    now_ms = now * 1000.0
    skew = options.clock_skew_ms
    exp_ms = _time_ms("expiry date claim (exp)", get("exp", MISSING))
    if exp_ms <= now_ms - skew:
        raise TokenVerificationError(
            Reason.TOKEN_EXPIRED,
            f"JWT is expired. Expiry date: {_utc(exp_ms)}, Current date: {_utc(now_ms)}.",
        )
    nbf = get("nbf", MISSING)
    if nbf is not MISSING:
        nbf_ms = _time_ms("not before date claim (nbf)", nbf)
        if nbf_ms > now_ms + skew:
            raise TokenVerificationError(
                Reason.TOKEN_NOT_ACTIVE_YET,
                "JWT cannot be used prior to not before date claim (nbf). "
                f"Not before date: {_utc(nbf_ms)}; Current date: {_utc(now_ms)};",
            )
    iat = get("iat", MISSING)
    if iat is not MISSING:
        iat_ms = _time_ms("issued at date claim (iat)", iat)
        if iat_ms > now_ms + skew:
            raise TokenVerificationError(
                Reason.TOKEN_IAT_IN_THE_FUTURE,
                "JWT issued at date claim (iat) is in the future. "
                f"Issued at date: {_utc(iat_ms)}; Current date: {_utc(now_ms)};",
            )


def check_oauth_audience(aud: object, audience: tuple[str, ...] | None) -> None:
    """OAuth access tokens must carry a well-formed ``aud`` when an audience is configured."""
    if audience is None:
        return
    well_formed = (isinstance(aud, str) and aud != "") or (
        isinstance(aud, list) and bool(aud) and all(isinstance(a, str) and a for a in aud)
    )
    if not well_formed:
        raise TokenVerificationError(
            Reason.TOKEN_VERIFICATION_FAILED,
            f"Invalid OAuth audience claim (aud) {js_json(aud)}. "
            "Expected a non-empty string or a non-empty array of non-empty strings.",
        )
    check_audience(aud, audience)
