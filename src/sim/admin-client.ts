// A small client of the admin API (admin-api.ts), for tests and the demo when the simulator runs
// in another process. Failures throw SimAdminError with the admin API's code.
import { get } from 'node:http';
import type { CallCountTable } from './counts.ts';
import type { Fault, FaultSpec } from './faults.ts';
import type { AttachmentEvent } from './lifecycle.ts';
import type { RateLimitProfile, RateLimitsPerMinute } from './rate-limits.ts';
import type { SimInstance } from './simulator.ts';
import type { HistoryEntry } from './state.ts';
import type { SimEni } from './views.ts';
import type { InstanceSpec } from './world.ts';

export class SimAdminError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SimAdminError';
    this.status = status;
    this.code = code;
  }
}

export class SimAdminClient {
  /** `http://host:port` of the simulator. */
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  async counts(): Promise<CallCountTable> {
    return (await this.call<{ counts: CallCountTable }>('GET', 'counts')).counts;
  }

  async resetCounts(): Promise<void> {
    await this.call('POST', 'counts/reset');
  }

  async enis(): Promise<SimEni[]> {
    return (await this.call<{ enis: SimEni[] }>('GET', 'enis')).enis;
  }

  /** The ENI (null once deleted) and every state change it went through. */
  async eni(id: string): Promise<{ eni: SimEni | null; history: HistoryEntry[] }> {
    return this.call('GET', `enis/${encodeURIComponent(id)}`);
  }

  async instances(): Promise<SimInstance[]> {
    return (await this.call<{ instances: SimInstance[] }>('GET', 'instances')).instances;
  }

  async addInstance(spec: InstanceSpec): Promise<SimInstance> {
    return (await this.call<{ instance: SimInstance }>('POST', 'instances', spec)).instance;
  }

  async releaseInstance(id: string): Promise<void> {
    await this.call('POST', `instances/${encodeURIComponent(id)}/release`);
  }

  async stopInstance(id: string): Promise<void> {
    await this.call('POST', `instances/${encodeURIComponent(id)}/stop`);
  }

  async startInstance(id: string): Promise<void> {
    await this.call('POST', `instances/${encodeURIComponent(id)}/start`);
  }

  async faults(): Promise<Fault[]> {
    return (await this.call<{ faults: Fault[] }>('GET', 'faults')).faults;
  }

  async addFault(spec: FaultSpec): Promise<Fault> {
    return (await this.call<{ fault: Fault }>('POST', 'faults', spec)).fault;
  }

  async removeFault(id: string): Promise<void> {
    await this.call('DELETE', `faults/${encodeURIComponent(id)}`);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', 'faults');
  }

  async rateLimits(): Promise<RateLimitsPerMinute> {
    return (await this.call<{ perMinute: RateLimitsPerMinute }>('GET', 'rate-limits')).perMinute;
  }

  async setRateLimits(perMinute: RateLimitsPerMinute, profile: RateLimitProfile = 'none'): Promise<void> {
    await this.call('PUT', 'rate-limits', { perMinute, profile });
  }

  /** Calls `onEvent` for every attach/detach until the returned function is called. */
  async events(onEvent: (event: AttachmentEvent) => void): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const req = get(`${this.baseUrl}/_sim/events`, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new SimAdminError(res.statusCode ?? 0, 'EventsUnavailable', `GET /_sim/events answered ${res.statusCode}`));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
            onEvent(JSON.parse(buffered.slice(0, nl)) as AttachmentEvent);
            buffered = buffered.slice(nl + 1);
          }
        });
        res.on('error', () => {});
        resolve(() => req.destroy());
      });
      req.on('error', reject);
    });
  }

  private async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/_sim/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    const json = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (!response.ok) {
      const error = (json ?? {}) as { Code?: string; Message?: string };
      throw new SimAdminError(response.status, error.Code ?? 'Unknown', error.Message ?? text);
    }
    return json as T;
  }
}
