// A catalogue of real ECS instance types with their ENI quotas, so that a world file can name a type
// (`instanceTypes: [{id: ecs.g7.large}]`, or just use it on an instance) without restating figures.
//
// Where the figures come from: Alibaba Cloud's instance-family tables (AlibabaCloudDocs/ecs, 2021;
// the column "ENIs (including one primary ENI)" and "Private IPv4 addresses per ENI") and real
// DescribeInstanceTypes payloads kept in other projects' tests, as collected in
// ../shared/reference/ecs-api.md ("Limits and quotas"). DescribeInstanceTypes is the live truth;
// sizes whose figures that table does not give are left out rather than guessed.
// `attachRequiresStopped`: the 2021 list of types without ENI hot-plug (attach and detach only
// while the instance is Stopped).

export interface InstanceTypeInfo {
  id: string;
  family: string;
  /** ENIs per instance, the primary ENI included. */
  eniQuantity: number;
  /** Private IPv4 addresses per ENI, its primary address included. */
  eniPrivateIpAddressQuantity: number;
  attachRequiresStopped: boolean;
  eniIpv6AddressQuantity?: number;
  eniTotalQuantity?: number;
  eniTrunkSupported?: boolean;
}

function sizes(families: string[], table: [size: string, enis: number, ips: number][]): InstanceTypeInfo[] {
  return families.flatMap((family) =>
    table.map(([size, enis, ips]) => ({
      id: `ecs.${family}.${size}`,
      family: `ecs.${family}`,
      eniQuantity: enis,
      eniPrivateIpAddressQuantity: ips,
      attachRequiresStopped: false,
    })),
  );
}

const SEVENTH_GENERATION = sizes(['g7', 'c7', 'r7'], [
  ['large', 3, 6],
  ['xlarge', 4, 15],
  ['2xlarge', 4, 15],
  ['3xlarge', 8, 15],
  ['4xlarge', 8, 30],
  ['6xlarge', 8, 30],
  ['8xlarge', 8, 30],
  ['16xlarge', 8, 30],
  ['32xlarge', 15, 30],
]);

const SIXTH_GENERATION = sizes(['g6', 'c6', 'r6'], [
  ['large', 2, 6],
  ['xlarge', 3, 10],
  ['2xlarge', 4, 10],
  ['3xlarge', 6, 10],
  ['4xlarge', 8, 20],
  ['6xlarge', 8, 20],
  ['8xlarge', 8, 20],
  ['26xlarge', 15, 20],
]);

// Burstable t6: the .large sizes have no ENI hot-plug.
const BURSTABLE: InstanceTypeInfo[] = [
  ...['c4m1', 'c2m1', 'c1m1', 'c1m2', 'c1m4'].map((ratio) => ({
    id: `ecs.t6-${ratio}.large`,
    family: 'ecs.t6',
    eniQuantity: 2,
    eniPrivateIpAddressQuantity: 2,
    attachRequiresStopped: true,
  })),
  ...['xlarge', '2xlarge'].map((size) => ({
    id: `ecs.t6-c1m4.${size}`,
    family: 'ecs.t6',
    eniQuantity: 2,
    eniPrivateIpAddressQuantity: 6,
    attachRequiresStopped: false,
  })),
];

const OTHERS: InstanceTypeInfo[] = [
  { id: 'ecs.u1-c1m4.xlarge', family: 'ecs.u1', eniQuantity: 3, eniPrivateIpAddressQuantity: 10, attachRequiresStopped: false },
  { id: 'ecs.ebmre7p.32xlarge', family: 'ecs.ebmre7p', eniQuantity: 32, eniPrivateIpAddressQuantity: 15, attachRequiresStopped: false },
];

// A real DescribeInstanceTypes payload for ecs.g7.xlarge also gives these.
const EXTRA: Record<string, Partial<InstanceTypeInfo>> = {
  'ecs.g7.xlarge': { eniIpv6AddressQuantity: 15, eniTotalQuantity: 20 },
};

export const INSTANCE_TYPE_CATALOGUE: ReadonlyMap<string, InstanceTypeInfo> = new Map(
  [...SEVENTH_GENERATION, ...SIXTH_GENERATION, ...BURSTABLE, ...OTHERS].map((info) => [info.id, { ...info, ...EXTRA[info.id] }]),
);
