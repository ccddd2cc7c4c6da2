"""Draw the demo catalog's product pictures (run once; the PNGs are committed).

Needs Pillow (in the ``dev`` extra): ``python -m models.demo_data.make_images``.
Every picture is generated here, so the set is free of any third-party licence.
"""

from __future__ import annotations

import colorsys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from models.demo import load_catalog_data, product_rows

OUT = Path(__file__).with_name("images")
SIZE = 320


def draw(sku: str, label: str, hue: float, shape: int) -> Image.Image:
    image = Image.new("RGB", (SIZE, SIZE))
    pixels = ImageDraw.Draw(image)
    for y in range(SIZE):
        r, g, b = colorsys.hsv_to_rgb(hue, 0.35 + 0.4 * y / SIZE, 0.95 - 0.25 * y / SIZE)
        pixels.line([(0, y), (SIZE, y)], fill=(int(r * 255), int(g * 255), int(b * 255)))
    box = (70, 50, 250, 230)
    white = (255, 255, 255)
    [pixels.ellipse, pixels.rounded_rectangle, pixels.regular_polygon][shape % 3](
        *((box,) if shape % 3 == 0 else (box, 24) if shape % 3 == 1 else ((160, 140, 95), 6)),
        fill=white)
    font = ImageFont.load_default(size=28)
    initials = "".join(word[0] for word in label.split()[:2]).upper()
    pixels.text((SIZE / 2, 140), initials, fill=(60, 60, 60), font=font, anchor="mm")
    pixels.text((SIZE / 2, 285), label[:22], fill=white, font=ImageFont.load_default(size=22),
                anchor="mm")
    return image.quantize(colors=32)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    data = load_catalog_data()
    for index, row in enumerate(product_rows(data)):
        hue = (index * 0.13) % 1.0
        draw(row["sku"], row["en"], hue, index).save(OUT / f"{row['sku']}.png", optimize=True)
    print(f"wrote {len(list(OUT.glob('*.png')))} pictures to {OUT}")


if __name__ == "__main__":
    main()
