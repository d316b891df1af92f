"""Lossless means exact: a generated diffraction-like picture (16-bit rings, speckle,
gradients) and a line-art picture painted into a desktop's VNC display
(`devcloud/cloud show-image`) arrive in the plugin's console page, opened from the
Console tab at "Lossless", bit for bit: 0 differing pixels, and no JPEG rectangle was
received. One desktop (CPU profile); pixel equality, never time (benchmarks/
display_fidelity.py measures the other levels, SPICE and frame rates)."""

import importlib.util
import time

import pytest
from cloud_fixtures import ARTIFACTS
from cloud_fixtures import REPO
from cloud_fixtures import ServerFactory

pytestmark = pytest.mark.browser


def _fidelity():
    spec = importlib.util.spec_from_file_location(
        "display_fidelity", REPO / "benchmarks" / "display_fidelity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def desktop(alice, devcloud):
    factory = ServerFactory(devcloud)
    server = factory.create(alice, f"br-fidelity-{int(time.time()) % 10**6}")
    yield server
    factory.cleanup()


def test_lossless_console_shows_the_exact_pixels(login, horizon_server, desktop):
    fidelity = _fidelity()
    out = ARTIFACTS / "display-fidelity"
    pictures = fidelity.write_pictures(out)
    page = login("alice")
    frame = fidelity.open_console(page, horizon_server.url, desktop["id"], "lossless")
    assert frame.evaluate("() => window.hepsConsole.rfb.scaleViewport") is False  # 1:1
    for name, (source, path) in pictures.items():
        fidelity.show_image(desktop["id"], path, "vnc")
        got = fidelity.settled_picture(page, frame, source)
        assert got is not None, "the console canvas never showed the picture"
        result = fidelity.compare(source, got)
        if result["differing_pixels"]:
            got.save(out / f"{name}-lossless-received.png")
            result["difference"].save(out / f"{name}-lossless-difference.png")
        assert (result["differing_pixels"], result["max_abs_error"]) == (0, 0), name
    assert frame.evaluate("() => window.hepsConsole.stats") == {"jpegRects": 0,
                                                                 "h264Rects": 0}
