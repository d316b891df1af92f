"""What does the console show? Pixels received through the plugin against the source.

A diffraction-like picture (high-dynamic-range rings coded over 16 bits in red+green,
fine speckle, smooth gradients) and a text/line-art picture are generated here (Pillow
and the standard library, nothing downloaded), painted into a desktop's displays with
``devcloud/cloud show-image``, and read back from the console's canvas in headless
Chromium, the console opened THROUGH THE PLUGIN (the desktop's Console tab) at each
quality level (VNC, the plugin's own noVNC) and on SPICE (spice-html5), plus nova's
stock noVNC at quality 9 for comparison. Reported per setting and picture: pixels
differing from the source, max abs error, PSNR; and frames per second received while
``show-image --moving`` scrolls the picture (a frame counter in the top-left corner).
Measured, never asserted (tests/browser/test_display_fidelity.py asserts Lossless = 0).

    .venv/bin/python benchmarks/display_fidelity.py OUT_DIR [--horizon URL] [--fps-seconds 8]

``run(results_dir)`` is what ``make bench`` (benchmarks/run_all.py) calls: rows of
benchmark, setting, metric, value, unit (a PSNR of identical pictures is the string "inf").
Needs the dev cloud; starts Horizon (scripts/horizon-serve) unless --horizon /
HEPS_HORIZON_URL names one; about 6 minutes on the 2-core dev machine. PNGs of the source,
the received picture and the difference (amplified) go to OUT_DIR/display-fidelity/.
"""

import argparse
import base64
import importlib.util
import io
import json
import math
import os
import pathlib
import random
import subprocess
import time

from PIL import Image
from PIL import ImageChops
from PIL import ImageDraw
from PIL import ImageFont

REPO = pathlib.Path(__file__).resolve().parent.parent
CLOUD = REPO / "devcloud" / "cloud"
SIZE = (1024, 768)
TAB = "desktop_details__console"
CLIENT_PATH = "/project/desktops/console/vnc/"
VNC_LEVELS = ("lossless", "balanced", "low")
BENCH = "display_fidelity"
MOVING_FPS = 30
MOVING_STEP = 8                           # heps_devcloud.painter.moving's default
COUNTER_BITS, COUNTER_BLOCK = 16, 8       # heps_devcloud.painter's frame counter

# -- pictures ------------------------------------------------------------------------


def diffraction_image(size=SIZE, seed=7):
    """Rings of a powder pattern over a 1/r background and speckle, 16-bit log intensity
    in red (high byte) and green (low byte): one JPEG step in green is a visible error in
    the intensity. Blue is a smooth gradient."""
    w, h = size
    cx, cy = w / 2 + 37.3, h / 2 - 21.7
    rings = [(60 + 47 * n + 3 * n * n, 1.2 + 0.35 * n, 10 ** (4.2 - 0.45 * n))
             for n in range(9)]
    steps = int(math.hypot(w, h) * 4) + 8
    lut = []
    for i in range(steps):
        r = i / 4
        v = 2e3 / (1 + (r / 12) ** 2) + 5
        for radius, width, amp in rings:
            v += amp * math.exp(-((r - radius) ** 2) / (2 * width * width))
        lut.append(v)
    top = math.log1p(max(lut) * 1.6)
    rnd = random.Random(seed)  # noqa: S311 (reproducible speckle, not a secret)
    dx2 = [(x - cx) ** 2 for x in range(w)]
    out = bytearray(w * h * 3)
    for y in range(h):
        dy2 = (y - cy) ** 2
        base = y * w * 3
        for x in range(w):
            i = lut[int(math.sqrt(dx2[x] + dy2) * 4)] * (0.55 + 0.9 * rnd.random())
            v = min(65535, int(65535 * math.log1p(i) / top))
            p = base + 3 * x
            out[p] = v >> 8
            out[p + 1] = v & 0xff
            out[p + 2] = (x * 255 // (w - 1) + y * 255 // (h - 1)) // 2
    return Image.frombytes("RGB", size, bytes(out))


def lineart_image(size=SIZE):
    """1-pixel lines, a fine grid, small text in several colours on white and on colour
    (chroma subsampling smears red on blue)."""
    w, h = size
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    for x in range(0, w, 16):
        d.line([(x, 0), (x, h)], fill=(200, 200, 200))
    for y in range(0, h, 16):
        d.line([(0, y), (w, y)], fill=(200, 200, 200))
    for k in range(0, 360, 15):
        a = math.radians(k)
        d.line([(w // 4, h // 2), (w // 4 + 180 * math.cos(a), h // 2 + 180 * math.sin(a))],
               fill=(0, 0, 0))
    font = ImageFont.load_default()
    colours = [((0, 0, 0), None), ((255, 0, 0), (0, 0, 255)), ((0, 128, 0), None),
               ((255, 255, 0), (64, 0, 64)), ((0, 0, 0), (255, 255, 224))]
    for row in range(24):
        fg, bg = colours[row % len(colours)]
        y = 20 + row * 30
        if bg:
            d.rectangle([w // 2, y - 2, w - 10, y + 14], fill=bg)
        d.text((w // 2 + 4, y), f"HEPS {row:02d} detector 0x{row * 2654435761 % 2**32:08x} "
               "I(q) = 1.234e-5", fill=fg, font=font)
    for i in range(1, 6):
        d.rectangle([40 + i * 20, 40 + i * 8, 400 - i * 20, 140 - i * 8], outline=(0, 0, 0))
    return im


# -- comparing -----------------------------------------------------------------------


def compare(source, received):
    """Pixels differing (any channel), max abs channel error, PSNR (dB; inf if equal),
    and an amplified difference picture."""
    if received.size != source.size:
        raise ValueError(f"received {received.size}, source {source.size}")
    diff = ImageChops.difference(source.convert("RGB"), received.convert("RGB"))
    r, g, b = diff.split()
    anywhere = ImageChops.lighter(ImageChops.lighter(r, g), b)
    pixels = source.size[0] * source.size[1]
    differing = pixels - anywhere.histogram()[0]
    max_abs = max(hi for _, hi in diff.getextrema())
    hist = diff.histogram()
    sq = sum(count * (i % 256) ** 2 for i, count in enumerate(hist))
    mse = sq / (pixels * 3)
    psnr = math.inf if mse == 0 else 10 * math.log10(255 * 255 / mse)
    amplified = anywhere.point(lambda v: 0 if v == 0 else min(255, 64 + v * 8))
    return {"differing_pixels": differing, "max_abs_error": max_abs, "psnr_db": psnr,
            "difference": amplified}


# -- the browser side ----------------------------------------------------------------

CANVAS_PNG = """() => {
  let best = null;
  for (const c of document.querySelectorAll('canvas')) {
    if (!best || c.width * c.height > best.width * best.height) best = c;
  }
  return best ? best.toDataURL('image/png') : null;
}"""

# Distinct frame-counter values seen in `ms` milliseconds (sampled every animation frame).
COUNT_FRAMES = """async ([ms, bits, block]) => {
  let canvas = null;
  for (const c of document.querySelectorAll('canvas')) {
    if (!canvas || c.width * c.height > canvas.width * canvas.height) canvas = c;
  }
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const seen = new Set();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const d = ctx.getImageData(0, 0, bits * block, block).data;
    let v = 0;
    for (let i = 0; i < bits; i++) {
      const p = ((block >> 1) * bits * block + i * block + (block >> 1)) * 4;
      v = (v << 1) | ((d[p] + d[p + 1] + d[p + 2]) > 383 ? 1 : 0);
    }
    seen.add(v);
    await new Promise((r) => requestAnimationFrame(r));
  }
  return seen.size;
}"""


def canvas_picture(frame):
    url = frame.evaluate(CANVAS_PNG)
    if not url:
        return None
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")


def settled_picture(page, frame, source, timeout=25.0):
    """The canvas once it equals the source or has stopped changing for 2 s."""
    deadline = time.monotonic() + timeout
    last, still_since = None, time.monotonic()
    while True:
        pic = canvas_picture(frame)
        if pic is not None and pic.size == source.size:
            if pic.tobytes() == source.tobytes():
                return pic
            if last is not None and pic.tobytes() == last.tobytes():
                if time.monotonic() - still_since >= 2.0:
                    return pic
            else:
                still_since = time.monotonic()
            last = pic
        if time.monotonic() > deadline:
            return last
        page.wait_for_timeout(250)


def show_image(server_id, path, display, moving_seconds=None):
    cmd = [str(CLOUD), "show-image", server_id, str(path), "--display", display]
    if moving_seconds:
        cmd += ["--moving", "--fps", str(MOVING_FPS), "--seconds", str(moving_seconds)]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode:
        raise RuntimeError(f"show-image failed ({done.returncode}): {done.stderr.strip()}")
    return None


def _frame(page, needle, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if needle in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise RuntimeError(f"no console frame matching {needle}")


def open_console(page, base_url, server_id, setting):
    """The desktop's Console tab at ``setting`` (a VNC level or "spice"); the frame
    once its canvas is drawing."""
    page.goto(f"{base_url}/project/desktops/{server_id}/?tab={TAB}")
    page.wait_for_selector(".heps-console iframe.heps-console-frame")
    if setting == "spice":
        page.click(".heps-console-protocol[data-protocol='SPICE']")
        page.wait_for_function("() => (document.querySelector('.heps-console-frame') || {})"
                               ".src.includes('spice')")
        frame = _frame(page, "127.0.0.1:6082")
        frame.wait_for_function("() => document.querySelector('canvas')", timeout=45000)
        return frame
    if page.locator(".heps-console-protocol[data-protocol='VNC']:not(.active)").count():
        page.click(".heps-console-protocol[data-protocol='VNC']")
        page.wait_for_selector(".heps-console-quality")
    if page.eval_on_selector(".heps-console-quality", "e => e.value") != setting:
        page.select_option(".heps-console-quality", setting)
    page.wait_for_function(
        "q => (document.querySelector('.heps-console-frame') || {src: ''})"
        ".src.includes('quality=' + q)", arg=setting)
    frame = _frame(page, CLIENT_PATH)
    frame.wait_for_function("() => window.hepsConsole && "
                            "window.hepsConsole.status === 'connected'", timeout=45000)
    return frame


def measure(page, base_url, server_id, setting, pictures, out_dir, fps_seconds=8.0):
    """Rows for one setting: fidelity per picture, JPEG rectangles (VNC), fps."""
    frame = open_console(page, base_url, server_id, setting)
    display = "spice" if setting == "spice" else "vnc"
    rows = []
    for name, (source, path) in pictures.items():
        show_image(server_id, path, display)
        got = settled_picture(page, frame, source)
        if got is None:
            raise RuntimeError(f"{setting}: the console canvas never showed {name}")
        result = compare(source, got)
        got.save(out_dir / f"{name}-{setting}-received.png")
        result["difference"].save(out_dir / f"{name}-{setting}-difference.png")
        setting_name = f"{setting}/{name}"
        rows += [_row(setting_name, "differing_pixels", result["differing_pixels"], "px"),
                 _row(setting_name, "max_abs_error", result["max_abs_error"], "levels"),
                 _row(setting_name, "psnr", round(result["psnr_db"], 2), "dB")]
    if setting != "spice":
        jpeg = frame.evaluate("() => window.hepsConsole.stats.jpegRects")
        rows.append(_row(setting, "jpeg_rectangles", jpeg, "rects"))
    for name, (source, path) in pictures.items() if fps_seconds else ():
        fps, best = moving(frame, server_id, display, path, source, fps_seconds)
        rows.append(_row(f"{setting}/{name}", "moving_fps", fps, "fps"))
        if best is None:                      # no moving frame arrived while sampling
            continue
        rows += [_row(f"{setting}/{name}", "moving_differing_pixels",
                      best["differing_pixels"], "px"),
                 _row(f"{setting}/{name}", "moving_psnr", round(best["psnr_db"], 2), "dB")]
    return rows


def expected_moving(source, received):
    """What the display showed for the frame ``received`` is: the source scrolled by
    the frame number (read from its counter) times MOVING_STEP; the counter strip itself
    is taken from ``received`` (not compared)."""
    number = 0
    for i in range(COUNTER_BITS):
        r, g, b = received.getpixel((i * COUNTER_BLOCK + COUNTER_BLOCK // 2,
                                     COUNTER_BLOCK // 2))
        number = number << 1 | (1 if r + g + b > 383 else 0)
    expected = ImageChops.offset(source, -((number * MOVING_STEP) % source.size[0]), 0)
    strip = (0, 0, COUNTER_BITS * COUNTER_BLOCK, COUNTER_BLOCK)
    expected.paste(received.crop(strip), strip[:2])
    return expected


def counter_visible(pic):
    """The frame counter strip is there: every block black or white throughout (JPEG
    leaves some noise), i.e. the canvas shows a frame of the moving picture."""
    for i in range(COUNTER_BITS):
        block = pic.crop((i * COUNTER_BLOCK, 0, (i + 1) * COUNTER_BLOCK, COUNTER_BLOCK))
        lo, hi = zip(*block.getextrema(), strict=True)
        if not (min(lo) >= 160 or max(hi) <= 95):
            return False
    return True


def moving(frame, server_id, display, path, source, seconds, samples=3):
    """(frames a second received, the closest of up to ``samples`` frames showing the
    counter to what was drawn, or None if none did) while show-image --moving scrolls
    the picture."""
    proc = show_image(server_id, path, display, moving_seconds=seconds + 120)
    try:
        frame.page.wait_for_timeout(1500)          # the scroll is running
        seen = frame.evaluate(COUNT_FRAMES, [int(seconds * 1000), COUNTER_BITS,
                                             COUNTER_BLOCK])
        best, seen_frames = None, 0
        for _ in range(samples * 4):
            pic = canvas_picture(frame)
            if counter_visible(pic):
                seen_frames += 1
                result = compare(expected_moving(source, pic), pic)
                if best is None or result["differing_pixels"] < best["differing_pixels"]:
                    best = result
                if seen_frames == samples:
                    break
            frame.page.wait_for_timeout(300)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return round(seen / seconds, 1), best


def _row(setting, metric, value, unit):
    if isinstance(value, float) and math.isinf(value):
        value = "inf"
    return {"benchmark": BENCH, "setting": setting, "metric": metric, "value": value,
            "unit": unit}


def write_pictures(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    pictures = {}
    for name, make in (("diffraction", diffraction_image), ("lineart", lineart_image)):
        image = make()
        image.save(out_dir / f"{name}-source.png")
        # show-image reads PPM fastest (the python running devcloud/cloud may lack Pillow)
        path = out_dir / f"{name}-source.ppm"
        image.save(path)
        pictures[name] = (image, path)
    return pictures


def _setup_module():
    """benchmarks/display_fidelity_setup.py, however this module was imported."""
    spec = importlib.util.spec_from_file_location(
        "display_fidelity_setup", pathlib.Path(__file__).with_name("display_fidelity_setup.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(results_dir: pathlib.Path, horizon_url=None, fps_seconds=8.0) -> list:
    """Every setting, both pictures, against the dev cloud; PNGs to results_dir."""
    out_dir = pathlib.Path(results_dir) / "display-fidelity"
    pictures = write_pictures(out_dir)
    rows = []
    with _setup_module().bench_session(horizon_url or os.environ.get("HEPS_HORIZON_URL")) as s:
        for setting in (*VNC_LEVELS, "spice"):
            rows += measure(s.page, s.base_url, s.server_id, setting, pictures, out_dir,
                            fps_seconds)
        rows += s.stock_novnc(pictures, out_dir)
    (out_dir / "results.json").write_text(json.dumps(rows, indent=1))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("--horizon", help="URL of a running Horizon (default: start one)")
    parser.add_argument("--fps-seconds", type=float, default=8.0)
    args = parser.parse_args()
    rows = run(args.out_dir, args.horizon, args.fps_seconds)
    width = max(len(r["setting"]) for r in rows)
    for r in rows:
        print(f"{r['setting']:<{width}}  {r['metric']:<17} {r['value']!s:>10} {r['unit']}")


if __name__ == "__main__":
    main()
