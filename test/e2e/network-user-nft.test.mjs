// The rootless user-network tests again with hx's nftables backend in the held namespace
// (HX_FIREWALL=nftables: an `ip hx` table there instead of iptables rules).
process.env.HX_FIREWALL = 'nftables';
const { need, run } = await import('../lib/hx.mjs');
need(run('sh', ['-c', 'PATH=$PATH:/usr/sbin:/sbin command -v nft']).code === 0, 'nft is installed (Debian package nftables)');
await import('./network-user.test.mjs');
