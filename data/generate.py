#!/usr/bin/python3
"""Generate forecast's bundled sample: a small M5-like retail panel.

10 products x 3 stores = 30 series (SKUs), daily from 2014-01-01 to
2015-12-31; two products launch later (2014-06-01, 2014-09-15), so series
lengths differ. Demand per day is negative-binomial around

    level * weekly(dow) * yearly(doy) * promo_uplift^promo * (price/base)^elasticity

with per-series levels from about 0.3 to 50 units a day (the low ones are
intermittent: most days sell nothing). Features are what is known ahead of
each day: price, promo flag and calendar encodings. No column is computed
from sales: lags and rolling means are forecast's derived features, which
respect the forecast origin (precomputed ones would let a test day see sales
after it).

Deterministic: numpy.random.default_rng(20240101). Needs Debian's
python3-numpy.

    /usr/bin/python3 data/generate.py > data/sample.csv
    /usr/bin/python3 data/generate.py --out data/sample.csv
"""
import argparse
import csv
import datetime as dt
import math
import sys

import numpy as np

START = dt.date(2014, 1, 1)
END = dt.date(2015, 12, 31)
PRODUCTS = [80558, 80651, 81022, 81347, 82110, 82745, 83309, 84016, 84592, 85233]
NAMES = ["FOODS_3_090", "FOODS_3_586", "FOODS_2_360", "HOBBIES_1_234", "HOUSEHOLD_1_118",
         "FOODS_1_218", "HOUSEHOLD_2_040", "HOBBIES_2_019", "FOODS_3_714", "HOUSEHOLD_1_521"]
STORES = [1, 2, 3]
LAUNCH = {82745: dt.date(2014, 6, 1), 84016: dt.date(2014, 9, 15)}
# units a day at base price, per product; the three stores scale it
LEVEL = [48.0, 22.0, 9.0, 0.6, 4.0, 14.0, 0.35, 1.2, 30.0, 2.5]
STORE_SCALE = [1.0, 0.7, 0.45]
WEEKLY = [0.9, 0.85, 0.85, 0.9, 1.05, 1.3, 1.25]  # Monday .. Sunday


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="-", help="output path (default: stdout)")
    args = ap.parse_args()
    rng = np.random.default_rng(20240101)
    out = sys.stdout if args.out == "-" else open(args.out, "w", newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["date", "product_id", "store_id", "item_name", "sales", "price", "promo",
                "feature_dow", "feature_month", "feature_doy_sin", "feature_doy_cos"])
    ndays = (END - START).days + 1
    for p, product in enumerate(PRODUCTS):
        base_price = round(float(rng.uniform(1.0, 12.0)), 2)
        elasticity = float(rng.uniform(-2.0, -0.8))
        phase = float(rng.uniform(0, 2 * math.pi))
        amp = float(rng.uniform(0.1, 0.35))
        for s, store in enumerate(STORES):
            first = LAUNCH.get(product, START)
            level = LEVEL[p] * STORE_SCALE[s]
            dispersion = 2.0 if level < 3 else 8.0
            promo_left = 0
            for i in range((first - START).days, ndays):
                day = START + dt.timedelta(days=i)
                dow = day.weekday()
                doy = day.timetuple().tm_yday
                if promo_left == 0 and rng.random() < 0.02:
                    promo_left = int(rng.integers(3, 8))
                promo = 1 if promo_left > 0 else 0
                promo_left = max(0, promo_left - 1)
                cut = 0.8 if promo else (0.9 if rng.random() < 0.05 else 1.0)
                price = round(base_price * cut, 2)
                mean = (level * WEEKLY[dow]
                        * (1 + amp * math.sin(2 * math.pi * doy / 365.25 + phase))
                        * (1.6 if promo else 1.0)
                        * (price / base_price) ** elasticity)
                # negative binomial with mean `mean` and size `dispersion`
                q = dispersion / (dispersion + mean)
                y = int(rng.negative_binomial(dispersion, q))
                w.writerow([day.isoformat(), product, store, NAMES[p], y, "%.2f" % price, promo,
                            dow, day.month, "%.6f" % math.sin(2 * math.pi * doy / 365.25),
                            "%.6f" % math.cos(2 * math.pi * doy / 365.25)])
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
