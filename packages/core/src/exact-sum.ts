// PLACEHOLDER (being replaced by the exact accumulator): a naive float sum with the final API.
export interface ExactSumState {
  readonly naive: number;
}

export class ExactSum {
  #sum = 0;
  add(x: number): void {
    this.#sum += x;
  }
  merge(other: ExactSum | ExactSumState): void {
    this.#sum += other instanceof ExactSum ? other.#sum : other.naive;
  }
  export(): ExactSumState {
    return { naive: this.#sum };
  }
  value(): number {
    return this.#sum;
  }
  divide(n: number): number {
    return n === 0 ? 0 : this.#sum / n;
  }
  reset(): void {
    this.#sum = 0;
  }
}
