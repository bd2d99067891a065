/**
 * The chart.js setup behind LineChart.vue, kept in TypeScript so it is type-checked: only the
 * pieces a line chart needs are registered (tree-shaken), the data for either a numeric x axis
 * (steps) or named points (stages), and a small plugin that draws the stage markers: a dashed
 * vertical line where each stage starts, with its label above the plot, shortened to the room
 * before the next marker.
 */
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartData,
  type Plugin,
  type TooltipItem,
} from 'chart.js';
import type { StageMarker } from './chart-series.js';

export { Chart };

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip, Legend);
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";
Chart.defaults.color = '#59636e';

export interface ChartLine {
  label: string;
  values: (number | null)[];
  colour: string;
}

export interface LineChartInput {
  lines: ChartLine[];
  /** Numeric x (e.g. steps) shared by every line; without it, `labels` names the points. */
  x?: number[];
  labels?: string[];
  /** The end of a numeric x axis (a run's total steps, so a live run fills it from the left). */
  xMax?: number;
  xTitle: string;
  yTitle: string;
  yMin?: number;
  yMax?: number;
  /** '%' shows values as percentages with one decimal; otherwise three significant decimals. */
  unit?: '%';
}

type Datum = number | null | { x: number; y: number | null };
export type LineChart = Chart<'line', Datum[], string>;

export function chartData(input: LineChartInput): ChartData<'line', Datum[], string> {
  const numeric = input.x !== undefined;
  return {
    labels: input.labels,
    datasets: input.lines.map((line) => ({
      label: line.label,
      data: numeric ? line.values.map((y, i) => ({ x: (input.x as number[])[i], y })) : line.values,
      borderColor: line.colour,
      backgroundColor: line.colour,
      borderWidth: 2,
      pointRadius: numeric ? 0 : 4,
      pointHoverRadius: 5,
      // Steps: a run's own gaps are few and joining them reads better; stages: a task not yet
      // tested is a real gap.
      spanGaps: numeric,
    })),
  };
}

const valueText = (v: number, unit: LineChartInput['unit']): string => (unit === '%' ? `${v.toFixed(1)}%` : v.toFixed(3));

/** `text`, or its part before ':' ("Stage 2"), or nothing: whichever fits `room` pixels. */
function fit(ctx: CanvasRenderingContext2D, text: string, room: number): string {
  if (ctx.measureText(text).width <= room) return text;
  const short = text.split(':')[0];
  return ctx.measureText(short).width <= room ? short : '';
}

function drawMarkers(chart: Chart, markers: readonly StageMarker[]): void {
  const { ctx, chartArea: area } = chart;
  const scale = chart.scales.x;
  if (scale === undefined || markers.length === 0) return;
  const placed = markers.map((m) => ({ ...m, px: scale.getPixelForValue(m.x) })).filter((m) => m.px >= area.left - 1 && m.px <= area.right + 1);
  ctx.save();
  ctx.strokeStyle = '#6e7781';
  ctx.lineWidth = 1;
  ctx.setLineDash([5, 4]);
  ctx.fillStyle = '#1f2328';
  ctx.font = `600 12px ${Chart.defaults.font.family}`;
  ctx.textBaseline = 'bottom';
  placed.forEach((m, i) => {
    if (m.px > area.left + 1) {
      ctx.beginPath();
      ctx.moveTo(m.px, area.top);
      ctx.lineTo(m.px, area.bottom);
      ctx.stroke();
    }
    const room = (placed[i + 1]?.px ?? area.right) - m.px - 8;
    const text = fit(ctx, m.label, room);
    if (text !== '') ctx.fillText(text, m.px + 4, area.top - 4);
  });
  ctx.restore();
}

/** The stage-marker plugin of one chart; `markers` is read at every draw, so it follows updates. */
export function markerPlugin(markers: () => readonly StageMarker[]): Plugin<'line'> {
  return { id: 'stageMarkers', afterDatasetsDraw: (chart) => drawMarkers(chart as unknown as Chart, markers()) };
}

/** `markers` undefined: a chart without stage markers (no room is kept above it for their labels). */
export function chartConfig(input: LineChartInput, markers?: () => readonly StageMarker[]): ChartConfiguration<'line', Datum[], string> {
  const numeric = input.x !== undefined;
  return {
    type: 'line',
    data: chartData(input),
    plugins: markers === undefined ? [] : [markerPlugin(markers)],
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      // Room above the plot for the stage labels.
      layout: { padding: { top: markers === undefined ? 4 : 22 } },
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: numeric
          ? { type: 'linear', min: 0, max: input.xMax, title: { display: true, text: input.xTitle }, ticks: { precision: 0 } }
          : { type: 'category', title: { display: true, text: input.xTitle } },
        y: {
          type: 'linear',
          min: input.yMin,
          max: input.yMax,
          title: { display: true, text: input.yTitle },
          ticks: input.unit === '%' ? { callback: (v) => `${v}%` } : {},
        },
      },
      plugins: {
        legend: { display: input.lines.length > 1, position: 'bottom', labels: { boxWidth: 14, boxHeight: 3 } },
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<'line'>[]) => (numeric && items.length > 0 ? `Step ${items[0].parsed.x}` : (items[0]?.label ?? '')),
            label: (item: TooltipItem<'line'>) => (item.parsed.y == null ? `${item.dataset.label}: not tested` : `${item.dataset.label}: ${valueText(item.parsed.y, input.unit)}`),
          },
        },
      },
    },
  };
}
