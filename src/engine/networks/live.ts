// Endpoints of running containers changed live: placeholder until the data plane is built.
import type { LiveEndpointHooks } from './connect.js';

export const liveEndpoints: LiveEndpointHooks = {
  async plug() {},
  async unplug() {},
};
