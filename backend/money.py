"""Money is integer fen (分) end to end. The rounding rules live here and nowhere else."""

from __future__ import annotations

Fen = int

# Rates are in basis points (1/100 of a percent): 13% VAT = 1300.
BASIS_POINTS = 10_000


def round_half_up_div(numerator: int, denominator: int) -> int:
    """Integer division rounding half away from zero (Chinese invoicing rounds 四舍五入)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


def apply_rate(amount_fen: Fen, rate_bp: int) -> Fen:
    """amount x rate, rounded half up to the fen."""
    return round_half_up_div(amount_fen * rate_bp, BASIS_POINTS)


def split_vat(gross_fen: Fen, vat_rate_bp: int) -> tuple[Fen, Fen]:
    """Split a VAT-inclusive amount into (net, vat); net + vat == gross exactly."""
    net = round_half_up_div(gross_fen * BASIS_POINTS, BASIS_POINTS + vat_rate_bp)
    return net, gross_fen - net


def format_yuan(amount_fen: Fen) -> str:
    """1234 -> '12.34' (display only; never parse this back into money)."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    return f"{sign}{yuan}.{fen:02d}"


PPM = 1_000_000


def late_interest(fen_days: int, rate_ppm_per_day: int) -> Fen:
    """Late interest for a period: the sum over its days of what was outstanding (fen x days) times the
    daily rate in parts per million, rounded half up to the fen once per period, never per day."""
    return round_half_up_div(fen_days * rate_ppm_per_day, PPM)
