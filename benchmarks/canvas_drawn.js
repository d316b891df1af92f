() => {
  for (const c of document.querySelectorAll('canvas')) {
    if (!c.width || !c.height) continue;
    let ctx;
    try { ctx = c.getContext('2d'); } catch (e) { continue; }
    if (!ctx) continue;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let first = null;
    for (let i = 0; i < d.length; i += 4 * 97) {
      const px = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
      if (first === null) first = px; else if (px !== first) return true;
    }
  }
  return false;
}
