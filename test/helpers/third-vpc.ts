/** A VPC and subnet of the owner's account other than the instance's and the seeded client's. */
import { randomUUID } from 'node:crypto';
import type { EmulatorHandle } from '../../local/cloud/server.js';
import { addVpc } from '../../local/cloud/world.js';

export function addThirdVpc(emulator: EmulatorHandle): { vpcId: string; subnetId: string } {
  return addVpc(emulator.world, randomUUID, {
    projectId: emulator.config().projectId,
    name: 'third-vpc',
    cidr: '172.31.0.0/16',
    subnet: { name: 'third-subnet', cidr: '172.31.1.0/24' },
  });
}
