/** What a benchmark section is: `npm run bench` runs every registered section in turn. */
export interface BenchSection {
  /** Short name, used to pick sections: `npm run bench -- analysis`. */
  name: string;
  /** What the section measures, printed above its figures. */
  summary: string;
  /** Runs the benchmark and prints its figures (to stdout). */
  run(): Promise<void>;
}
