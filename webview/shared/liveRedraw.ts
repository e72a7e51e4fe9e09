// How a page that follows a live run redraws: on the next frame, but at most once per interval. A run can write a
// step several times a second; a page rebuilt that often loses the clicks, drags and scrolls aimed at it.

/** A scheduler for `render`: calls made while one is pending, or within `minIntervalMs` of the last, coalesce. */
export function liveRedraw(render: () => void, minIntervalMs = 1000): () => void {
  let pending = false;
  let last = -Infinity;
  const draw = (): void => {
    requestAnimationFrame(() => {
      pending = false;
      last = performance.now();
      render();
    });
  };
  return () => {
    if (pending) return;
    pending = true;
    const wait = last + minIntervalMs - performance.now();
    if (wait <= 0) draw();
    else setTimeout(draw, wait);
  };
}
