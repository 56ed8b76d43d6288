// A business's webhook receiver (their Zapier hook, their CRM) on 127.0.0.1, for the tests, the
// story and the benchmark. Each endpoint it hands out answers as told: a status with headers and
// body, a hang, or a closed connection; every request it got is kept, so a caller can verify the
// Standard Webhooks signature with the official package exactly as a real receiver would.
import http from "node:http";
import { randomUUID } from "node:crypto";
import { listenOnFreePort } from "./lib/common.ts";

export type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | "hang" | "close";

export type ReceivedRequest = { headers: Record<string, string>; body: string; at: number };

export type ReceiverEndpoint = {
  url: string;
  received: ReceivedRequest[];
  /** Waits until `count` requests have arrived (or fails after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
};

type Route = { answer: (n: number) => Answer; received: ReceivedRequest[] };

export class WebhookReceiver {
  private readonly routes = new Map<string, Route>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly hanging = new Set<http.ServerResponse>();
  baseUrl = "";

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.baseUrl = await listenOnFreePort(receiver.server);
    return receiver;
  }

  /**
   * A new endpoint. `answers` are given in order (the last one repeats), or computed from the
   * request's number (0 for the first).
   */
  endpoint(answers: Answer[] | ((n: number) => Answer) = [{ status: 200, body: "ok" }]): ReceiverEndpoint {
    const id = randomUUID().slice(0, 8);
    const answer = typeof answers === "function" ? answers : (n: number) => answers[Math.min(n, answers.length - 1)];
    const route: Route = { answer, received: [] };
    this.routes.set(`/hooks/${id}`, route);
    return {
      url: `${this.baseUrl}/hooks/${id}`,
      received: route.received,
      waitFor: async (count, timeoutMs = 15_000) => {
        const deadline = Date.now() + timeoutMs;
        while (route.received.length < count) {
          if (Date.now() > deadline) throw new Error(`the receiver got ${route.received.length} of ${count} requests in ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return route.received;
      },
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const route = this.routes.get(req.url ?? "");
      if (!route) return void res.writeHead(404).end("no such hook");
      const n = route.received.length;
      route.received.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const answer = route.answer(n);
      if (answer === "close") return void req.socket.destroy();
      if (answer === "hang") return void this.hanging.add(res);
      const send = () => res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? "");
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.socket?.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
