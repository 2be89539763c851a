// SPDX-License-Identifier: GPL-2.0
/*
 * afpacket-tx: send Ethernet frames out of one interface through an
 * AF_PACKET socket for a few seconds, and print the rate. Two ways of
 * handing frames to the kernel (see Documentation/networking/packet_mmap.rst):
 *
 *   sendto  one sendto() system call, one copy, per frame
 *   mmap    a PACKET_TX_RING (TPACKET_V2) shared with the kernel: frames are
 *           written into the ring, marked TP_STATUS_SEND_REQUEST, and one
 *           send() hands the kernel every frame marked so far
 *
 * Both go through the device's qdisc (no PACKET_QDISC_BYPASS), as a plain
 * application's frames would. The frames carry EtherType 0x88b5 (local
 * experimental) to a made-up unicast MAC, so the receiver drops them early.
 *
 * Usage: afpacket-tx sendto|mmap IFNAME [SECONDS [FRAME_LEN]]
 * Prints: "MODE IFNAME frames N errors E seconds S fps F kicks K waits W"
 * (mmap mode: K send() calls, W waits of up to 1 ms for a busy slot).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_SZ	2048	/* one ring slot: TPACKET2 header + frame */
#define BLOCK_SZ	4096
#define BLOCKS		128	/* 256 slots */
#define ETH_P_LOCAL	0x88b5

/* mmap mode: send() calls, and waits for a busy slot */
static unsigned long kicks, waits;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void build_frame(unsigned char *buf, size_t len)
{
	static const unsigned char dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x42 };
	static const unsigned char src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x41 };
	struct ethhdr *eth = (struct ethhdr *)buf;
	size_t i;

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(ETH_P_LOCAL);
	for (i = sizeof(*eth); i < len; i++)
		buf[i] = (unsigned char)i;
}

static int run_sendto(int fd, const struct sockaddr_ll *sll, size_t len,
		      double secs, unsigned long *frames, unsigned long *errors)
{
	unsigned char buf[FRAME_SZ];
	double end = now() + secs;
	unsigned long n = 0;

	build_frame(buf, len);
	for (;;) {
		if ((n & 255) == 0 && now() >= end)
			break;
		n++;
		if (sendto(fd, buf, len, 0, (const struct sockaddr *)sll,
			   sizeof(*sll)) == (ssize_t)len) {
			(*frames)++;
		} else if (errno == ENOBUFS || errno == EAGAIN) {
			(*errors)++;
		} else {
			perror("sendto");
			return -1;
		}
	}
	return 0;
}

static int run_mmap(int fd, const struct sockaddr_ll *sll, size_t len,
		    double secs, unsigned long *frames, unsigned long *errors)
{
	struct tpacket_req req = {
		.tp_block_size = BLOCK_SZ,
		.tp_block_nr = BLOCKS,
		.tp_frame_size = FRAME_SZ,
		.tp_frame_nr = BLOCKS * (BLOCK_SZ / FRAME_SZ),
	};
	size_t off = TPACKET_ALIGN(sizeof(struct tpacket2_hdr));
	int ver = TPACKET_V2;
	unsigned int i = 0, pending = 0;
	unsigned char frame[FRAME_SZ];
	double end;
	char *ring;

	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req))) {
		perror("setsockopt PACKET_TX_RING");
		return -1;
	}
	ring = mmap(NULL, (size_t)BLOCK_SZ * BLOCKS, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	/* The ring sends to the address the socket is bound to. */
	if (bind(fd, (const struct sockaddr *)sll, sizeof(*sll))) {
		perror("bind");
		return -1;
	}
	build_frame(frame, len);

	end = now() + secs;
	for (;;) {
		struct tpacket2_hdr *hdr = (void *)(ring + (size_t)i * FRAME_SZ);
		unsigned int status = __atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE);

		if (status == TP_STATUS_WRONG_FORMAT) {
			(*errors)++;
			status = TP_STATUS_AVAILABLE;
		}
		if (status == TP_STATUS_AVAILABLE) {
			memcpy((char *)hdr + off, frame, len);
			hdr->tp_len = len;
			__atomic_store_n(&hdr->tp_status, TP_STATUS_SEND_REQUEST,
					 __ATOMIC_RELEASE);
			pending++;
			i = (i + 1) % req.tp_frame_nr;
			if (pending < req.tp_frame_nr / 4)
				continue;
		}
		/* A quarter of the ring filled, or the next slot still busy: kick. */
		if (pending) {
			int sent = send(fd, NULL, 0, MSG_DONTWAIT);

			kicks++;

			if (sent < 0 && errno != EAGAIN && errno != ENOBUFS) {
				perror("send");
				return -1;
			}
			if (sent < 0)
				(*errors)++;
			*frames += pending;
			pending = 0;
		} else {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			waits++;
			poll(&p, 1, 1);
		}
		if (now() >= end)
			break;
	}
	/* Wait for the ring to drain: frames still marked were not sent. */
	end = now() + 1;
	send(fd, NULL, 0, 0);
	for (i = 0; i < req.tp_frame_nr && now() < end; i++) {
		struct tpacket2_hdr *hdr = (void *)(ring + (size_t)i * FRAME_SZ);
		unsigned int status = __atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE);

		if (status & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)) {
			(*frames)--;
			(*errors)++;
		}
	}
	munmap(ring, (size_t)BLOCK_SZ * BLOCKS);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long frames = 0, errors = 0;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	double secs = 3, t0, t;
	size_t len = 64;
	int fd, rc;

	if (argc < 3 || argc > 5 ||
	    (strcmp(argv[1], "sendto") && strcmp(argv[1], "mmap"))) {
		fprintf(stderr, "usage: %s sendto|mmap IFNAME [SECONDS [FRAME_LEN]]\n", argv[0]);
		return 2;
	}
	if (argc > 3)
		secs = atof(argv[3]);
	if (argc > 4)
		len = strtoul(argv[4], NULL, 0);
	if (secs <= 0 || len < ETH_ZLEN || len > FRAME_SZ - 128) {
		fprintf(stderr, "afpacket-tx: bad SECONDS or FRAME_LEN\n");
		return 2;
	}
	sll.sll_ifindex = if_nametoindex(argv[2]);
	if (!sll.sll_ifindex) {
		perror(argv[2]);
		return 1;
	}
	sll.sll_protocol = htons(ETH_P_LOCAL);
	sll.sll_halen = ETH_ALEN;

	/* Protocol 0: a send-only socket, it receives nothing. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	t0 = now();
	if (!strcmp(argv[1], "sendto"))
		rc = run_sendto(fd, &sll, len, secs, &frames, &errors);
	else
		rc = run_mmap(fd, &sll, len, secs, &frames, &errors);
	t = now() - t0;
	close(fd);
	if (rc)
		return 1;
	printf("%s %s frames %lu errors %lu seconds %.3f fps %.0f kicks %lu waits %lu\n",
	       argv[1], argv[2], frames, errors, t, frames / t, kicks, waits);
	return 0;
}
