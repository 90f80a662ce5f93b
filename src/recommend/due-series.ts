/**
 * What ingest hands to the recommendation loop: a series whose newest event moved into a new
 * 5-minute step, i.e. its last step closed and is due for scoring. Lives here, with its
 * consumer, so that recommend/ does not import from processor/ (the processor wires both).
 */
/** A series whose newest event moved into a new 5-minute step: its last step closed. */
export interface DueSeries {
  seriesId: string;
  /** end of the series' last complete 5-minute step (= start of the step its newest event is in) */
  stepEndMs: number;
  /** trace context of the series' first event in the batch that closed the step */
  traceparent?: string;
}
