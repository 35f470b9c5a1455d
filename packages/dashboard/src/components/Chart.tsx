import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  color: string;
  values: Array<number | null>;
}

/**
 * A time series chart (uPlot, canvas). Canvas is invisible to screen readers, so `summary`
 * describes the data in text (aria-label), and pages show the numbers in a table too.
 */
export function TimeChart({
  times,
  series,
  summary,
  height = 220,
  bars = false,
}: {
  /** Seconds since the epoch. */
  times: number[];
  series: ChartSeries[];
  summary: string;
  height?: number;
  bars?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join("|");

  // (re)create when the set of series changes; otherwise only feed new data
  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt only when the series set changes
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const paths = bars ? uPlot.paths.bars?.({ size: [0.8, 40] }) : undefined;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{ stroke: "#8a8f98" }, { stroke: "#8a8f98", size: 40 }],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: bars ? s.color : `${s.color}22`,
          width: bars ? 0 : 2,
          paths,
          points: { show: false },
        })),
      ],
    };
    plot.current = new uPlot(opts, [times, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(el.clientWidth, 200), height }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, height, bars]);

  useEffect(() => {
    plot.current?.setData([times, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [times, series]);

  return <div className="chart" ref={box} role="img" aria-label={summary} />;
}
