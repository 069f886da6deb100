#!/usr/bin/env python3
"""Prints the tables and polynomial coefficients of Sources/CVectorMath/PowerDouble.c.

Needs mpmath (`apt-get install python3-mpmath`); every value is computed at 200 bits and rounded once to a
double. Run it and compare with the C file to check the constants; the kernel's accuracy tests
(VectorMathAccuracyTests.testDoublePowIsWithinSixTenthsOfAnUlpAndTheSameOnEveryPath and
testDoublePowStaysWithinItsBoundWhenYLogXIsLargeForEveryTableEntry) check what they give.

log: x = z * 2^k with z in [OFF, 2 * OFF) as bits; the top 5 bits of z's offset from OFF pick a subinterval
and its invc, a short number (a multiple of 2^-7, 2^-6 or 2^-5) chosen so that r = z * invc - 1 is exact in
one FMA and |r| is as small as it can be; invc = 1 for the subinterval around 1. logc = -log(invc) is split
into logc_hi, a multiple of 2^-42 (so that k * LN2_HI + logc_hi is exact for every k), and logc_lo.
log1p(r) = r - r^2 / 2 + r^3 * P(r), P of degree 8 fitted on |r| <= max |r| (Chebyshev).
exp: t = m * ln2 / 16 + f, |f| <= ln2 / 32; 2^(j / 16) as a double-double; exp(f) - 1 = f + f^2 * Q(f), Q of
degree 5 fitted on |f| <= ln2 / 32.
"""
import struct
from mpmath import mp, mpf, log, log1p, exp, ln2, chebyfit, nint

mp.prec = 200
OFF = 0x3FE6C00000000000  # 0.7109375: 1 sits in the middle of subinterval 18


def bits_double(u):
    return struct.unpack("<d", struct.pack("<Q", u))[0]


def log_table():
    rows, widest = [], mpf(0)
    for i in range(32):
        lo, hi = bits_double(OFF + (i << 47)), bits_double(OFF + ((i + 1) << 47) - 1)
        if lo <= 1.0 <= hi:
            candidates = [(1.0, 0)]
        else:
            centre = 2 / (1 / mpf(lo) + 1 / mpf(hi))
            candidates = [(k / 2.0**j, j) for j in (7, 6, 5, 4)
                          for k in range(int(nint(2**j / centre)) - 2, int(nint(2**j / centre)) + 3)]
        best = None
        for invc, j in candidates:
            ends = [(z, mpf(z) * invc - 1) for z in (lo, hi)]
            # z * invc is a multiple of ulp(z) * 2^-j, so r is a double when |r| < 2^53 * ulp(z) * 2^-j
            exact = all(j == 0 or abs(r) < 2.0**53 * (2.0**-53 if z < 1 else 2.0**-52) * 2.0**-j for z, r in ends)
            reach = max(abs(r) for _, r in ends)
            if exact and (best is None or reach < best[0]):
                best = (reach, invc)
        reach, invc = best
        widest = max(widest, reach)
        logc = -log(mpf(invc))
        logc_hi = float(nint(logc * 2**42) / 2**42)
        rows.append((invc, logc_hi, float(logc - logc_hi)))
    return rows, widest


def fit(f, half_width, degree, at_zero):
    coefficients = chebyfit(lambda r: at_zero if abs(r) < mpf(10) ** -40 else f(r), [-half_width, half_width], degree + 1)
    return [float(c) for c in reversed(coefficients)]  # lowest degree first


def print_table(name, values):
    print("static const double %s[%d] = {" % (name, len(values)))
    for i in range(0, len(values), 4):
        print("    " + " ".join(v.hex() + "," for v in values[i:i + 4]))
    print("};")


def main():
    rows, widest = log_table()
    print("// max |r| = %.6f" % float(widest))
    for name, column in (("log_invc", 0), ("log_logc_hi", 1), ("log_logc_lo", 2)):
        print_table(name, [row[column] for row in rows])
    p = fit(lambda r: (log1p(r) - r + r * r / 2) / r**3, widest, 8, mpf(1) / 3)
    q = fit(lambda f: (exp(f) - 1 - f) / f**2, ln2 / 32, 5, mpf(1) / 2)
    for k, c in enumerate(p):
        print("#define P%d %s" % (k, c.hex()))
    for k, c in enumerate(q):
        print("#define Q%d %s" % (k, c.hex()))
    ln2_hi = float(nint(ln2 * 2**42) / 2**42)
    step = ln2 / 16
    step_hi = float(nint(step * 2**43) / 2**43)
    print("#define LN2_HI %s\n#define LN2_LO %s" % (ln2_hi.hex(), float(ln2 - ln2_hi).hex()))
    print("#define INV_STEP %s\n#define STEP_HI %s\n#define STEP_LO %s" % (float(16 / ln2).hex(), step_hi.hex(), float(step - step_hi).hex()))
    powers = [mpf(2) ** (mpf(j) / 16) for j in range(16)]
    print_table("exp_hi", [float(v) for v in powers])
    print_table("exp_lo", [float(v - float(v)) for v in powers])

if __name__ == "__main__":
    main()
