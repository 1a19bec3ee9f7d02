"""Chart geometry for the server-drawn SVG charts (no JavaScript, no CDN, prints in black and white)."""

BAR_ROW = 26
LABEL_W = 150
BAR_W = 360
TREND_H = 160
TREND_COL = 48


def bars(rows):
    """Horizontal percent bars: rows are (label, percent or None, url)."""
    out = []
    for i, (label, value, url) in enumerate(rows):
        width = round(BAR_W * (value or 0) / 100, 1)
        out.append(
            {
                "label": label,
                "value": value,
                "url": url,
                "y": i * BAR_ROW,
                "text_y": i * BAR_ROW + 17,
                "width": width,
                "value_x": LABEL_W + width + 6,
            }
        )
    return {
        "rows": out,
        "height": max(len(out), 1) * BAR_ROW + 4,
        "width": LABEL_W + BAR_W + 60,
        "label_w": LABEL_W,
        "bar_w": BAR_W,
        "grid": [{"x": LABEL_W + BAR_W * p // 100, "p": p} for p in (0, 50, 100)],
    }


def columns(points):
    """Vertical percent columns over time: points are (label, percent or None, url)."""
    out = []
    for i, (label, value, url) in enumerate(points):
        h = round(TREND_H * (value or 0) / 100, 1)
        x = 30 + i * TREND_COL
        out.append(
            {
                "label": label,
                "value": value,
                "url": url,
                "x": x,
                "mid": x + TREND_COL // 2 - 4,
                "y": 20 + TREND_H - h,
                "h": h,
                "value_y": 20 + TREND_H - h - 4,
            }
        )
    return {
        "cols": out,
        "width": 30 + len(out) * TREND_COL + 10,
        "height": TREND_H + 50,
        "base": 20 + TREND_H,
        "label_y": 20 + TREND_H + 18,
        "col_w": TREND_COL - 12,
    }
