// One chart drawn by ECharts (loaded on first use). The drawing is an image
// to assistive technology, labelled; every chart sits beside a table of the
// same figures.
import { useEffect, useRef, useState } from 'react';

type EChartsInstance = { setOption: (o: unknown, notMerge?: boolean) => void; resize: () => void; dispose: () => void };

export function Chart({ option, label, height = 240 }: { option: unknown; label: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<EChartsInstance | null>(null);
  const [failed, setFailed] = useState<string>();

  useEffect(() => {
    let disposed = false;
    let ro: ResizeObserver | undefined;
    import('../lib/echarts').then(
      ({ init }) => {
        if (disposed || !box.current) return;
        const c = init(box.current, undefined, { renderer: 'svg' }) as unknown as EChartsInstance;
        chart.current = c;
        c.setOption(option, true);
        box.current.dataset.drawn = 'true';
        ro = new ResizeObserver(() => c.resize());
        ro.observe(box.current);
      },
      (e: unknown) => setFailed(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      disposed = true;
      ro?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
    // The chart is made once; option changes are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, true);
  }, [option]);

  if (failed) return <p className="error">Could not load the charts: {failed}</p>;
  return <div ref={box} className="chart" role="img" aria-label={label} style={{ height }} data-testid="chart" />;
}
