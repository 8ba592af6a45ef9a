// The rootful network tests again with hx's nftables backend (HX_FIREWALL=nftables: an
// `ip hx` table of its own instead of iptables chains), as on a host with nft and no iptables.
process.env.HX_FIREWALL = 'nftables';
await import('./network-bridge.test.mjs');
