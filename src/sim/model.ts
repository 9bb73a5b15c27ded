// The simulated region: the world's fixed network plus the live state (ENIs, instances), with the
// lookups and resource bookkeeping (addresses, MACs, ids, histories) that every action shares.
// Actions (eni-actions.ts, ip-actions.ts, describe-actions.ts) decide; this module keeps books.
import { randomBytes } from 'node:crypto';
import { IpPool } from './cidr.ts';
import { SimError } from './errors.ts';
import type { InstanceTypeInfo } from './instance-types.ts';
import { ecsTime } from './state.ts';
import type { EniRecord, HistoryStatus, InstanceRecord, SimState } from './state.ts';
import type { InstanceSpec, NetworkInterfaceSpec, VSwitchInfo, World } from './world.ts';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomId(prefix: string): string {
  const bytes = randomBytes(20);
  let id = prefix;
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

export type NewEni = Omit<EniRecord, 'id' | 'seq' | 'macAddress' | 'creationTime'>;

export class SimModel {
  readonly world: World;
  readonly state: SimState;
  readonly now: () => number;
  private readonly pools = new Map<string, IpPool>();
  private readonly macs = new Set<string>();
  /** Instance id → ids of the ENIs on it (attaching, in use or detaching), so lookups stay O(ENIs on it). */
  private readonly byInstance = new Map<string, Set<string>>();

  constructor(world: World, state: SimState, now: () => number) {
    this.world = world;
    this.state = state;
    this.now = now;
    for (const vSwitch of world.vSwitches.values()) this.pools.set(vSwitch.id, new IpPool(vSwitch.cidr));
    for (const eni of state.enis.values()) {
      this.takeResources(eni);
      this.index(eni);
    }
  }

  // --- lookups -----------------------------------------------------------------------------

  findEni(id: string): EniRecord | undefined {
    return this.state.enis.get(id);
  }

  eni(id: string): EniRecord {
    const eni = this.state.enis.get(id);
    if (!eni) throw new SimError('InvalidEniId.NotFound', `The specified NetworkInterfaceId ${id} does not exist.`);
    return eni;
  }

  /** ECS answers an unknown instance with different codes (and statuses) depending on the action. */
  instance(id: string, notFound: 'InvalidInstanceId.NotFound' | 'InvalidEcsId.NotFound', status?: number): InstanceRecord {
    const instance = this.state.instances.get(id);
    if (!instance) throw new SimError(notFound, `The specified instance ${id} does not exist.`, status === undefined ? {} : { status });
    return instance;
  }

  vSwitch(id: string): VSwitchInfo {
    const vSwitch = this.world.vSwitches.get(id);
    if (!vSwitch) throw new SimError('InvalidVSwitchId.NotFound', `The specified VSwitchId ${id} does not exist.`);
    return vSwitch;
  }

  pool(vSwitchId: string): IpPool {
    return this.pools.get(vSwitchId) as IpPool;
  }

  instanceType(instance: InstanceRecord): InstanceTypeInfo {
    return this.world.instanceTypes.get(instance.instanceType) as InstanceTypeInfo;
  }

  /** ENIs on the instance in any state (attaching and detaching ones hold a slot), primary first. */
  enisOn(instanceId: string): EniRecord[] {
    const ids = this.byInstance.get(instanceId) ?? [];
    return [...ids].map((id) => this.state.enis.get(id) as EniRecord).sort((a, b) => a.seq - b.seq);
  }

  // --- bookkeeping -------------------------------------------------------------------------

  record(eniId: string, status: HistoryStatus): void {
    let history = this.state.history.get(eniId);
    if (!history) {
      history = [];
      this.state.history.set(eniId, history);
    }
    history.push({ status, at: this.now() });
  }

  /** Puts the ENI on an instance (with its device index), or takes it off when `instanceId` is undefined. */
  placeOn(eni: EniRecord, instanceId: string | undefined, deviceIndex?: number): void {
    this.unindex(eni);
    if (instanceId === undefined) {
      delete eni.instanceId;
      delete eni.deviceIndex;
      return;
    }
    eni.instanceId = instanceId;
    eni.deviceIndex = deviceIndex ?? 0;
    this.index(eni);
  }

  nextSeq(): number {
    return this.state.nextSeq++;
  }

  /** Adds an ENI whose addresses are already taken from its vSwitch's pool; `fixedId` for a world's own ENIs. */
  addEni(fields: NewEni, fixedId?: string): EniRecord {
    let id = fixedId ?? randomId('eni-');
    while (fixedId === undefined && (this.state.enis.has(id) || this.state.history.has(id))) id = randomId('eni-');
    const eni: EniRecord = { ...fields, id, seq: this.nextSeq(), macAddress: this.newMac(), creationTime: ecsTime(this.now()) };
    this.state.enis.set(id, eni);
    this.index(eni);
    this.record(id, eni.status);
    return eni;
  }

  /** The ENI is gone: its addresses and MAC go back. */
  removeEni(eni: EniRecord): void {
    const pool = this.pool(eni.vSwitchId);
    for (const ip of [eni.primaryIp, ...eni.secondaryIps]) pool.release(ip);
    this.macs.delete(eni.macAddress);
    this.unindex(eni);
    this.state.enis.delete(eni.id);
    this.record(eni.id, 'Deleted');
  }

  /** Adds a (resolved) instance with its primary ENI, InUse from the start. */
  addInstance(spec: Required<InstanceSpec>): InstanceRecord {
    if (this.state.instances.has(spec.id)) throw new SimError('InvalidParameter', `instance ${spec.id} already exists`);
    const vSwitch = this.vSwitch(spec.vSwitchId);
    const pool = this.pool(vSwitch.id);
    const primaryIp = spec.primaryIpAddress ? (pool.claim(spec.primaryIpAddress) ? spec.primaryIpAddress : undefined) : pool.allocate();
    if (!primaryIp) throw new SimError('InvalidVSwitchId.IpNotEnough', `no address for instance ${spec.id} in vSwitch ${vSwitch.id}`);
    const eni = this.addEni({
      type: 'Primary',
      status: 'InUse',
      vpcId: vSwitch.vpcId,
      vSwitchId: vSwitch.id,
      zoneId: vSwitch.zoneId,
      primaryIp,
      secondaryIps: [],
      securityGroupIds: spec.securityGroupIds,
      tags: [],
      deleteOnRelease: true,
      instanceId: spec.id,
      deviceIndex: 0,
    });
    const instance: InstanceRecord = {
      id: spec.id,
      seq: this.nextSeq(),
      instanceType: spec.instanceType,
      vpcId: vSwitch.vpcId,
      vSwitchId: vSwitch.id,
      zoneId: vSwitch.zoneId,
      status: spec.status,
      primaryEniId: eni.id,
      creationTime: ecsTime(this.now()),
    };
    this.state.instances.set(instance.id, instance);
    return instance;
  }

  /** Adds a world file's pre-existing ENI: Available, with the id the world gives it. */
  addWorldEni(spec: NetworkInterfaceSpec): EniRecord {
    const vSwitch = this.vSwitch(spec.vSwitchId);
    const pool = this.pool(vSwitch.id);
    const primaryIp = spec.primaryIpAddress ? (pool.claim(spec.primaryIpAddress) ? spec.primaryIpAddress : undefined) : pool.allocate();
    if (!primaryIp) throw new SimError('InvalidVSwitchId.IpNotEnough', `no address for ENI ${spec.id} in vSwitch ${vSwitch.id}`);
    return this.addEni({
      type: 'Secondary',
      status: 'Available',
      vpcId: vSwitch.vpcId,
      vSwitchId: vSwitch.id,
      zoneId: vSwitch.zoneId,
      primaryIp,
      secondaryIps: [],
      securityGroupIds: spec.securityGroupIds,
      tags: Object.entries(spec.tags ?? {}).map(([key, value]) => ({ key, value })),
      ...(spec.description === undefined ? {} : { description: spec.description }),
      deleteOnRelease: false,
    }, spec.id);
  }

  private newMac(): string {
    for (;;) {
      const tail = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0'));
      const mac = ['00', '16', '3e', ...tail].join(':');
      if (!this.macs.has(mac)) {
        this.macs.add(mac);
        return mac;
      }
    }
  }

  private index(eni: EniRecord): void {
    if (eni.instanceId === undefined) return;
    let ids = this.byInstance.get(eni.instanceId);
    if (!ids) {
      ids = new Set();
      this.byInstance.set(eni.instanceId, ids);
    }
    ids.add(eni.id);
  }

  private unindex(eni: EniRecord): void {
    if (eni.instanceId === undefined) return;
    const ids = this.byInstance.get(eni.instanceId);
    ids?.delete(eni.id);
    if (ids?.size === 0) this.byInstance.delete(eni.instanceId);
  }

  /** On load from a state file: mark what the stored ENIs hold as taken. */
  private takeResources(eni: EniRecord): void {
    const pool = this.pools.get(eni.vSwitchId);
    if (!pool) throw new Error(`state file: ENI ${eni.id} is in vSwitch ${eni.vSwitchId}, which the world does not have`);
    for (const ip of [eni.primaryIp, ...eni.secondaryIps]) pool.claim(ip);
    this.macs.add(eni.macAddress);
  }
}
