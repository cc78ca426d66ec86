/** One line of the cart: what the order will ask for, with what the catalogue said it costs. */
export interface CartLine {
  sku: string;
  name: string;
  priceCents: number;
  quantity: number;
}

const STORAGE_KEY = 'mesh-cart';
/** The API's limits on an order (@mesh/contracts ItemRequest, MAX_ORDER_ITEMS). */
export const MAX_QUANTITY = 100;
export const MAX_LINES = 20;

/** The cart, kept in localStorage so it survives a reload. */
export class Cart {
  private lines: CartLine[] = [];
  private readonly listeners: (() => void)[] = [];

  constructor() {
    try {
      this.lines = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as CartLine[];
    } catch {
      this.lines = [];
    }
  }

  items(): readonly CartLine[] {
    return this.lines;
  }

  count(): number {
    return this.lines.reduce((sum, line) => sum + line.quantity, 0);
  }

  totalCents(): number {
    return this.lines.reduce((sum, line) => sum + line.quantity * line.priceCents, 0);
  }

  /** Adds to a line (or a new one), within the API's limits; false when the cart is full. */
  add(line: CartLine): boolean {
    const existing = this.lines.find((entry) => entry.sku === line.sku);
    if (existing) {
      existing.quantity = Math.min(MAX_QUANTITY, existing.quantity + line.quantity);
    } else {
      if (this.lines.length >= MAX_LINES) return false;
      this.lines.push({ ...line, quantity: Math.min(MAX_QUANTITY, line.quantity) });
    }
    this.save();
    return true;
  }

  setQuantity(sku: string, quantity: number): void {
    this.lines = this.lines
      .map((line) =>
        line.sku === sku ? { ...line, quantity: Math.min(MAX_QUANTITY, quantity) } : line,
      )
      .filter((line) => line.quantity > 0);
    this.save();
  }

  clear(): void {
    this.lines = [];
    this.save();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private save(): void {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.lines));
    for (const listener of this.listeners) listener();
  }
}
