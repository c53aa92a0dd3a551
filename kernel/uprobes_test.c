// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the uprobes core's pure data structures and decisions: the
 * probe tree ordered by (inode, offset), the XOL slot bitmap allocator,
 * what a hit makes of its handlers' answers, the copy of pending return
 * instances for a forked child and their per-task pool.  Included
 * at the end of kernel/uprobes.c, so the static helpers are visible.  No
 * process, mm or real inode is involved: the inode pointers are addresses
 * of a local array and are only compared, never dereferenced.
 */

#include <kunit/test.h>

static struct inode *fake_inode(struct inode *base, int i)
{
	return (struct inode *)((char *)base + i * 64);
}

static struct uprobe *test_probe(struct kunit *test, struct inode *inode,
				 loff_t offset)
{
	struct uprobe *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, u);
	u->host = inode;
	u->file_off = offset;
	RB_CLEAR_NODE(&u->node);
	return u;
}

/* (inode index, offset) pairs, inserted in this deliberately unsorted order. */
static const struct {
	int inode;
	loff_t offset;
} tree_keys[] = {
	{ 1, 0x400 }, { 0, 0x1000 }, { 2, 0x10 }, { 1, 0x10 }, { 1, 0x2000 },
	{ 0, 0x0 }, { 2, 0xfff }, { 1, 0x401 }, { 0, 0x7fffffff }, { 1, 0x0 },
};

static struct rb_root build_test_tree(struct kunit *test, struct inode *base)
{
	struct rb_root root = RB_ROOT;
	int i;

	for (i = 0; i < ARRAY_SIZE(tree_keys); i++) {
		struct uprobe *u = test_probe(test,
					       fake_inode(base, tree_keys[i].inode),
					       tree_keys[i].offset);

		KUNIT_ASSERT_NULL(test, probe_tree_add(&root, u));
	}
	return root;
}

static void probe_tree_order_test(struct kunit *test)
{
	struct inode *base = kunit_kzalloc(test, 4 * 64, GFP_KERNEL);
	struct uprobe *prev = NULL, *u;
	struct rb_root root;
	struct rb_node *n;
	int count = 0;

	KUNIT_ASSERT_NOT_NULL(test, base);
	root = build_test_tree(test, base);

	for (n = rb_first(&root); n; n = rb_next(n)) {
		u = rb_entry(n, struct uprobe, node);
		if (prev)
			KUNIT_EXPECT_LT(test,
					probe_key_cmp(prev->host, prev->file_off, u),
					0);
		prev = u;
		count++;
	}
	KUNIT_EXPECT_EQ(test, count, (int)ARRAY_SIZE(tree_keys));
}

static void probe_tree_duplicate_test(struct kunit *test)
{
	struct inode *base = kunit_kzalloc(test, 4 * 64, GFP_KERNEL);
	struct rb_root root;
	struct uprobe *dup, *old;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, base);
	root = build_test_tree(test, base);

	for (i = 0; i < ARRAY_SIZE(tree_keys); i++) {
		dup = test_probe(test, fake_inode(base, tree_keys[i].inode),
				 tree_keys[i].offset);
		old = probe_tree_add(&root, dup);
		KUNIT_ASSERT_NOT_NULL(test, old);
		KUNIT_EXPECT_PTR_EQ(test, old->host, dup->host);
		KUNIT_EXPECT_EQ(test, old->file_off, dup->file_off);
		/* The loser must not have been linked. */
		KUNIT_EXPECT_TRUE(test, RB_EMPTY_NODE(&dup->node));
	}
}

static const struct {
	const char *name;
	int inode;
	loff_t offset;
	bool found;
} lookup_cases[] = {
	{ "first of inode 0",	0, 0x0,		true },
	{ "last of inode 0",	0, 0x7fffffff,	true },
	{ "middle",		1, 0x401,	true },
	{ "neighbour missing",	1, 0x402,	false },
	{ "other inode's key",	0, 0x10,	false },
	{ "unknown inode",	3, 0x10,	false },
	{ "below all",		2, 0x0,		false },
	{ "above all",		2, 0x1000,	false },
};

static void probe_tree_lookup_test(struct kunit *test)
{
	struct inode *base = kunit_kzalloc(test, 4 * 64, GFP_KERNEL);
	struct rb_root root;
	struct uprobe *u;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, base);
	root = build_test_tree(test, base);

	for (i = 0; i < ARRAY_SIZE(lookup_cases); i++) {
		struct inode *inode = fake_inode(base, lookup_cases[i].inode);

		u = probe_tree_lookup(&root, inode, lookup_cases[i].offset);
		if (!lookup_cases[i].found) {
			KUNIT_EXPECT_NULL_MSG(test, u, "%s", lookup_cases[i].name);
			continue;
		}
		KUNIT_ASSERT_NOT_NULL_MSG(test, u, "%s", lookup_cases[i].name);
		KUNIT_EXPECT_PTR_EQ(test, u->host, inode);
		KUNIT_EXPECT_EQ(test, u->file_off, lookup_cases[i].offset);
	}
}

/* What uprobe_mmap() asks: the first probe of an inode in [start, end). */
static const struct {
	const char *name;
	int inode;
	loff_t start, end;
	loff_t expect;		/* -1: none */
} range_cases[] = {
	{ "whole inode 1",	1, 0x0,   0x10000, 0x0 },
	{ "start on a key",	1, 0x10,  0x11,    0x10 },
	{ "start between",	1, 0x11,  0x10000, 0x400 },
	{ "end exclusive",	1, 0x11,  0x400,   -1 },
	{ "past last of inode",	1, 0x2001, 0x3000, -1 },
	{ "no spill to next",	0, 0x1001, 0x7fffffff, -1 },
	{ "last key included",	0, 0x1001, 0x80000000, 0x7fffffff },
	{ "empty range",	2, 0x10,  0x10,    -1 },
	{ "unknown inode",	3, 0x0,   0x10000, -1 },
};

static void probe_tree_range_test(struct kunit *test)
{
	struct inode *base = kunit_kzalloc(test, 4 * 64, GFP_KERNEL);
	struct rb_root root;
	struct uprobe *u;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, base);
	root = build_test_tree(test, base);

	for (i = 0; i < ARRAY_SIZE(range_cases); i++) {
		struct inode *inode = fake_inode(base, range_cases[i].inode);

		u = probe_tree_first_in(&root, inode, range_cases[i].start,
					range_cases[i].end);
		if (range_cases[i].expect < 0) {
			KUNIT_EXPECT_NULL_MSG(test, u, "%s", range_cases[i].name);
			continue;
		}
		KUNIT_ASSERT_NOT_NULL_MSG(test, u, "%s", range_cases[i].name);
		KUNIT_EXPECT_PTR_EQ(test, u->host, inode);
		KUNIT_EXPECT_EQ_MSG(test, u->file_off, range_cases[i].expect,
				    "%s", range_cases[i].name);
	}
}

static void xol_bitmap_claim_test(struct kunit *test)
{
	struct xol_bitmap s;
	int i, slot;

	xol_bitmap_reset(&s);
	/* Slot 0 is the trampoline's and is never handed out. */
	KUNIT_EXPECT_TRUE(test, test_bit(XOL_TRAMPOLINE_SLOT, s.map));
	KUNIT_EXPECT_FALSE(test, xol_bitmap_full(&s));

	for (i = 1; i < XOL_SLOTS_PER_PAGE; i++)
		KUNIT_EXPECT_EQ(test, xol_bitmap_claim(&s), i);
	KUNIT_EXPECT_TRUE(test, xol_bitmap_full(&s));
	KUNIT_EXPECT_EQ(test, xol_bitmap_claim(&s), -ENOSPC);

	/* Freed slots come back lowest first. */
	KUNIT_EXPECT_TRUE(test, xol_bitmap_unclaim(&s, XOL_SLOTS_PER_PAGE - 1));
	KUNIT_EXPECT_TRUE(test, xol_bitmap_unclaim(&s, 2));
	KUNIT_EXPECT_FALSE(test, xol_bitmap_full(&s));
	slot = xol_bitmap_claim(&s);
	KUNIT_EXPECT_EQ(test, slot, 2);
	slot = xol_bitmap_claim(&s);
	KUNIT_EXPECT_EQ(test, slot, (int)XOL_SLOTS_PER_PAGE - 1);
	KUNIT_EXPECT_EQ(test, xol_bitmap_claim(&s), -ENOSPC);
}

static const struct {
	const char *name;
	int slot;
	bool take_first;
	bool ok;
} release_cases[] = {
	{ "taken slot",		1,			true,	true },
	{ "trampoline slot",	XOL_TRAMPOLINE_SLOT,	false,	false },
	{ "free slot",		3,			false,	false },
	{ "negative (bad vaddr)", -EINVAL,		false,	false },
	{ "past the page",	XOL_SLOTS_PER_PAGE,	false,	false },
};

static void xol_bitmap_unclaim_test(struct kunit *test)
{
	struct xol_bitmap s;
	int i, used;

	for (i = 0; i < ARRAY_SIZE(release_cases); i++) {
		xol_bitmap_reset(&s);
		if (release_cases[i].take_first)
			KUNIT_ASSERT_EQ(test, xol_bitmap_claim(&s),
					release_cases[i].slot);
		used = atomic_read(&s.used);
		KUNIT_EXPECT_EQ_MSG(test,
				    xol_bitmap_unclaim(&s, release_cases[i].slot),
				    release_cases[i].ok, "%s",
				    release_cases[i].name);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&s.used),
				    used - release_cases[i].ok, "%s",
				    release_cases[i].name);
		/* A double release must not underflow the count. */
		KUNIT_EXPECT_FALSE(test,
				   xol_bitmap_unclaim(&s, release_cases[i].slot));
	}
}

static void xol_slot_addr_test(struct kunit *test)
{
	const unsigned long base = 0x7ffff000UL;
	const struct {
		unsigned long vaddr;
		int slot;
	} cases[] = {
		{ base,					0 },
		{ base + UPROBE_XOL_SLOT_BYTES,		1 },
		{ base + PAGE_SIZE - UPROBE_XOL_SLOT_BYTES,
						(int)XOL_SLOTS_PER_PAGE - 1 },
		{ base + 1,				-EINVAL },
		{ base - UPROBE_XOL_SLOT_BYTES,		-EINVAL },
		{ base + PAGE_SIZE,			-EINVAL },
		{ 0,					-EINVAL },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		KUNIT_EXPECT_EQ_MSG(test, xol_addr_to_slot(base, cases[i].vaddr),
				    cases[i].slot, "vaddr %#lx", cases[i].vaddr);
		if (cases[i].slot >= 0)
			KUNIT_EXPECT_EQ(test, xol_slot_to_addr(base, cases[i].slot),
					cases[i].vaddr);
	}
}

static int kt_keep(struct uprobe_consumer *con, struct pt_regs *regs)
{
	return 0;
}

static int kt_remove(struct uprobe_consumer *con, struct pt_regs *regs)
{
	return UPROBE_HANDLER_REMOVE;
}

/* A handler that sends the task elsewhere, as a debugger-like consumer may. */
static int kt_redirect(struct uprobe_consumer *con, struct pt_regs *regs)
{
	instruction_pointer_set(regs, 0x5000);
	return 0;
}

static int kt_ret(struct uprobe_consumer *con, unsigned long func,
		  struct pt_regs *regs)
{
	return 0;
}

typedef int (*kt_handler_t)(struct uprobe_consumer *, struct pt_regs *);

/*
 * Consumer sets (up to three; a NULL handler with @ret set is a return-only
 * consumer) and what the hit must make of them: removal only when every
 * handler, and at least one, asked for it.
 */
static const struct {
	kt_handler_t	handler[3];
	bool		ret[3];
	int		n;
	bool		remove, want_ret;
} verdict_cases[] = {
	{ { kt_remove },			{ false },		1, true,  false },
	{ { kt_keep },				{ false },		1, false, false },
	{ { kt_remove, kt_remove },		{ false, false },	2, true,  false },
	{ { kt_remove, kt_keep },		{ false, false },	2, false, false },
	{ { kt_keep, kt_remove, kt_remove },	{ false, true, false },	3, false, true },
	/* a return-only consumer still wants the breakpoint */
	{ { kt_remove, NULL },			{ false, true },	2, false, true },
	{ { NULL },				{ true },		1, false, true },
	{ { kt_redirect, kt_remove },		{ false, false },	2, false, false },
};

static void handler_verdict_test(struct kunit *test)
{
	struct uprobe *probe = test_probe(test, NULL, 0);
	struct uprobe_consumer *con;
	struct pt_regs regs;
	struct bp_verdict v;
	int i, j, idx;

	con = kunit_kcalloc(test, 3, sizeof(*con), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, con);
	for (i = 0; i < ARRAY_SIZE(verdict_cases); i++) {
		INIT_LIST_HEAD(&probe->cons_head);
		for (j = 0; j < verdict_cases[i].n; j++) {
			con[j] = (struct uprobe_consumer) {
				.handler = verdict_cases[i].handler[j],
				.ret_handler = verdict_cases[i].ret[j] ?
					       kt_ret : NULL,
			};
			list_add_tail(&con[j].cons_node, &probe->cons_head);
		}
		memset(&regs, 0, sizeof(regs));
		instruction_pointer_set(&regs, 0x1000);

		idx = srcu_read_lock(&probe_srcu);
		probe_call_handlers(probe, &regs, &v);
		srcu_read_unlock(&probe_srcu, idx);

		KUNIT_EXPECT_EQ_MSG(test, v.keep + v.drop, verdict_cases[i].n,
				    "case %d", i);
		KUNIT_EXPECT_EQ_MSG(test, bp_verdict_remove(&v),
				    verdict_cases[i].remove, "case %d", i);
		KUNIT_EXPECT_EQ_MSG(test, v.want_ret, verdict_cases[i].want_ret,
				    "case %d", i);
	}
	/* The last case moved the IP: bp_run_handlers() must see that. */
	KUNIT_EXPECT_EQ(test, instruction_pointer(&regs), 0x5000UL);
}

/* A forked child gets the parent's return instances in the same order. */
static void fork_copy_test(struct kunit *test)
{
	struct uprobe *probe = test_probe(test, NULL, 0);
	struct return_instance *ri, *got;
	struct uprobe_task *parent, *child;
	int i;

	parent = kunit_kzalloc(test, sizeof(*parent), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, parent);
	refcount_set(&probe->usage, 1);
	for (i = 0; i < 4; i++) {
		ri = kunit_kzalloc(test, sizeof(*ri), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ri);
		/* oldest first: each new one goes on top */
		*ri = (struct return_instance) {
			.uprobe = probe, .func = 0x100 + i,
			.orig_ret_vaddr = 0x900 - i, .chained = i == 2,
			.next = parent->return_instances,
		};
		parent->return_instances = ri;
		parent->depth++;
	}

	child = utask_fork_copy(parent);
	KUNIT_ASSERT_NOT_NULL(test, child);
	KUNIT_EXPECT_EQ(test, child->depth, parent->depth);
	KUNIT_EXPECT_EQ(test, refcount_read(&probe->usage), 5);
	for (ri = parent->return_instances, got = child->return_instances;
	     ri; ri = ri->next, got = got->next) {
		KUNIT_ASSERT_NOT_NULL(test, got);
		KUNIT_EXPECT_PTR_NE(test, got, ri);
		KUNIT_EXPECT_EQ(test, got->func, ri->func);
		KUNIT_EXPECT_EQ(test, got->orig_ret_vaddr, ri->orig_ret_vaddr);
		KUNIT_EXPECT_EQ(test, got->chained, ri->chained);
	}
	KUNIT_EXPECT_NULL(test, got);

	/* Popping releases them newest first, and their references. */
	for (i = 3; (got = rinst_pop(child)); i--) {
		KUNIT_EXPECT_EQ(test, got->func, 0x100UL + i);
		rinst_release(child, got);
	}
	KUNIT_EXPECT_EQ(test, i, -1);
	KUNIT_EXPECT_EQ(test, child->depth, 0U);
	KUNIT_EXPECT_EQ(test, refcount_read(&probe->usage), 1);
	utask_free(child);
}

/*
 * The lockless lookup of the hit path finds what the locked one finds, on
 * the global tree (probes with fake inodes, removed again at the end).
 */
static void probe_find_rcu_test(struct kunit *test)
{
	struct inode *base = kunit_kzalloc(test, 4 * 64, GFP_KERNEL);
	struct uprobe *u[ARRAY_SIZE(tree_keys)];
	int i, idx;

	KUNIT_ASSERT_NOT_NULL(test, base);
	/* test_probe() allocates: not under the spinning lock */
	for (i = 0; i < ARRAY_SIZE(tree_keys); i++)
		u[i] = test_probe(test, fake_inode(base, tree_keys[i].inode),
				  tree_keys[i].offset);
	write_lock(&probe_tree_lock);
	for (i = 0; i < ARRAY_SIZE(tree_keys); i++) {
		write_seqcount_begin(&probe_tree_seq);
		KUNIT_EXPECT_NULL(test, probe_tree_add(&probe_tree, u[i]));
		write_seqcount_end(&probe_tree_seq);
	}
	write_unlock(&probe_tree_lock);

	idx = srcu_read_lock(&probe_srcu);
	for (i = 0; i < ARRAY_SIZE(tree_keys); i++) {
		struct inode *inode = fake_inode(base, tree_keys[i].inode);

		KUNIT_EXPECT_PTR_EQ(test, probe_find_rcu(inode, tree_keys[i].offset),
				    u[i]);
		/* Neighbours of every key that are not keys themselves. */
		if (!probe_tree_lookup(&probe_tree, inode, tree_keys[i].offset + 2))
			KUNIT_EXPECT_NULL(test, probe_find_rcu(inode,
							       tree_keys[i].offset + 2));
	}
	KUNIT_EXPECT_NULL(test, probe_find_rcu(fake_inode(base, 3), 0x10));
	srcu_read_unlock(&probe_srcu, idx);

	write_lock(&probe_tree_lock);
	for (i = 0; i < ARRAY_SIZE(tree_keys); i++) {
		write_seqcount_begin(&probe_tree_seq);
		rb_erase(&u[i]->node, &probe_tree);
		write_seqcount_end(&probe_tree_seq);
	}
	write_unlock(&probe_tree_lock);
	/* No reader of the tree may still be looking at them when KUnit frees them. */
	synchronize_srcu(&probe_srcu);
}

/* user_stack_pointer_set() is not in every architecture's <asm/ptrace.h>. */
static void test_set_user_sp(struct pt_regs *regs, unsigned long sp)
{
#if defined(CONFIG_ARM64)
	regs->sp = sp;
#elif defined(CONFIG_PPC)
	regs->gpr[1] = sp;
#else
	user_stack_pointer_set(regs, sp);
#endif
}

/*
 * Return instances come from the task's pool once it has one, and a probe
 * on its way out (no references left) gets none.
 */
static void rinst_pool_test(struct kunit *test)
{
	struct uprobe *probe = test_probe(test, NULL, 0);
	struct return_instance *first, *again;
	struct uprobe_task *ut = utask_alloc();
	struct pt_regs regs = {};

	KUNIT_ASSERT_NOT_NULL(test, ut);
	refcount_set(&probe->usage, 1);
	test_set_user_sp(&regs, 0x7000);

	first = rinst_new(ut, probe, 0x100, &regs);
	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_EXPECT_EQ(test, first->func, 0x100UL);
	KUNIT_EXPECT_EQ(test, first->stack, 0x7000UL);
	KUNIT_EXPECT_EQ(test, refcount_read(&probe->usage), 2);
	rinst_release(ut, first);
	KUNIT_EXPECT_EQ(test, refcount_read(&probe->usage), 1);

	again = rinst_new(ut, probe, 0x200, &regs);
	KUNIT_EXPECT_PTR_EQ(test, again, first);
	KUNIT_EXPECT_EQ(test, again->func, 0x200UL);
	rinst_release(ut, again);

	refcount_set(&probe->usage, 0);
	KUNIT_EXPECT_NULL(test, rinst_new(ut, probe, 0x300, &regs));
	/* The instance taken for the dying probe went back to the pool. */
	refcount_set(&probe->usage, 1);
	again = rinst_new(ut, probe, 0x400, &regs);
	KUNIT_EXPECT_PTR_EQ(test, again, first);
	rinst_release(ut, again);
	KUNIT_EXPECT_EQ(test, refcount_read(&probe->usage), 1);
	utask_free(ut);
}

/*
 * A hit put back at its breakpoint (no XOL slot, a fix-up to retry) is
 * recognised once, by its address and the user registers (see
 * arch_uprobe_regs_match()), and only by the same task state: another
 * address, another stack, another register value or a second trap runs
 * the handlers again.
 */
static void bp_replay_test(struct kunit *test)
{
	struct uprobe_task *ut = utask_alloc();
	struct pt_regs regs = {};

	KUNIT_ASSERT_NOT_NULL(test, ut);
	KUNIT_EXPECT_FALSE(test, bp_replay_take(ut, &regs, 0));

	instruction_pointer_set(&regs, 0x401000);
	test_set_user_sp(&regs, 0x7000);
	bp_replay_mark(ut, &regs);
	KUNIT_EXPECT_FALSE(test, bp_replay_take(ut, &regs, 0x401004));
	/* the mismatch forgot it */
	KUNIT_EXPECT_FALSE(test, bp_replay_take(ut, &regs, 0x401000));

	bp_replay_mark(ut, &regs);
	test_set_user_sp(&regs, 0x6f00);	/* a signal frame, say */
	KUNIT_EXPECT_FALSE(test, bp_replay_take(ut, &regs, 0x401000));

	test_set_user_sp(&regs, 0x7000);
	bp_replay_mark(ut, &regs);
	KUNIT_EXPECT_TRUE(test, bp_replay_take(ut, &regs, 0x401000));
	KUNIT_EXPECT_FALSE(test, bp_replay_take(ut, &regs, 0x401000));
#ifdef CONFIG_X86_64
	/* How the kernel was entered is not user state (FRED's cs/ss)... */
	bp_replay_mark(ut, &regs);
	regs.csx ^= BIT_ULL(16);	/* FRED's stack level */
	regs.ssx ^= 3ULL << 32;		/* FRED's event vector */
	regs.orig_ax = -1;
	KUNIT_EXPECT_TRUE(test, bp_replay_take(ut, &regs, 0x401000));
	/* ... a general register is. */
	bp_replay_mark(ut, &regs);
	regs.ax++;
	KUNIT_EXPECT_FALSE(test, bp_replay_take(ut, &regs, 0x401000));
#endif
	utask_free(ut);
}

/*
 * Boost slots are found by address and instruction bytes, and an IP in a
 * slot maps back to the probed instruction before it ran (the start of
 * either half) and to the next one after (the jump back, the breakpoint).
 */
static void boost_slot_test(struct kunit *test)
{
	struct boost_area *ba = kunit_kzalloc(test, sizeof(*ba), GFP_KERNEL);
	struct arch_uprobe a = {}, b = {};
	unsigned int slot, off;
	unsigned long s1;

	KUNIT_ASSERT_NOT_NULL(test, ba);
	ba->base = 0x7f0000000000UL;
	memset(&a.insn, 0x11, sizeof(a.insn));
	memset(&b.insn, 0x22, sizeof(b.insn));
	boost_publish(ba, 0, 0x401000, 3, &a.insn);
	/* the same address with another instruction (a new mapping there) */
	boost_publish(ba, 1, 0x401000, 4, &b.insn);
	KUNIT_EXPECT_EQ(test, ba->nr, 2U);

	KUNIT_EXPECT_EQ(test, boost_find(ba, &a, 0x401000), 0);
	KUNIT_EXPECT_EQ(test, boost_find(ba, &b, 0x401000), 1);
	KUNIT_EXPECT_EQ(test, boost_find(ba, &a, 0x401001), -1);

	s1 = boost_slot_addr(ba, 1);
	KUNIT_EXPECT_EQ(test, s1, ba->base + BOOST_SLOT_BYTES);
	KUNIT_ASSERT_TRUE(test, boost_slot_of(ba, s1 + 4, &slot, &off));
	KUNIT_EXPECT_EQ(test, slot, 1U);
	KUNIT_EXPECT_EQ(test, off, 4U);
	KUNIT_EXPECT_EQ(test, boost_orig_addr(ba, 1, 0), 0x401000UL);
	KUNIT_EXPECT_EQ(test, boost_orig_addr(ba, 1, BOOST_HALF), 0x401000UL);
	KUNIT_EXPECT_EQ(test, boost_orig_addr(ba, 1, 4), 0x401004UL);
	KUNIT_EXPECT_EQ(test, boost_orig_addr(ba, 1, BOOST_HALF + 4), 0x401004UL);
	KUNIT_EXPECT_EQ(test, boost_orig_addr(ba, 1, 2), 0UL);
	KUNIT_EXPECT_EQ(test, boost_orig_addr(ba, 0, 3), 0x401003UL);

	/* not yet written, or outside the area */
	KUNIT_EXPECT_FALSE(test, boost_slot_of(ba, boost_slot_addr(ba, 2), &slot, &off));
	KUNIT_EXPECT_FALSE(test, boost_slot_of(ba, ba->base - 1, &slot, &off));
	KUNIT_EXPECT_FALSE(test, boost_slot_of(ba, ba->base + BOOST_SIZE, &slot, &off));
}

/*
 * A full area: every slot is found through the hash, collisions and the
 * wrap at the end of the table included, and a site never added is not.
 */
static void boost_full_test(struct kunit *test)
{
	struct boost_area *ba = kunit_kzalloc(test, sizeof(*ba), GFP_KERNEL);
	struct arch_uprobe a = {};
	unsigned int i, n;

	KUNIT_ASSERT_NOT_NULL(test, ba);
	memset(&a.insn, 0x90, sizeof(a.insn));
	/* addresses a page apart: few low bits for the hash to spread */
	for (i = 0; i < BOOST_SLOTS; i++)
		boost_publish(ba, i, 0x400000UL + i * PAGE_SIZE, 1, &a.insn);
	KUNIT_EXPECT_EQ(test, ba->nr, (unsigned int)BOOST_SLOTS);
	for (i = 0; i < BOOST_SLOTS; i++)
		KUNIT_EXPECT_EQ(test, boost_find(ba, &a, 0x400000UL + i * PAGE_SIZE), (int)i);
	KUNIT_EXPECT_EQ(test, boost_find(ba, &a, 0x400000UL + BOOST_SLOTS * PAGE_SIZE), -1);
	KUNIT_EXPECT_EQ(test, boost_find(ba, &a, 0x400001UL), -1);
	/* one entry per slot */
	for (i = 0, n = 0; i < BOOST_HASH; i++)
		n += !!ba->hash[i];
	KUNIT_EXPECT_EQ(test, n, (unsigned int)BOOST_SLOTS);
}

static struct return_instance *ret_group_seen[4];
static int ret_group_calls;

static int ret_group_handler(struct uprobe_consumer *con, unsigned long func,
			     struct pt_regs *regs)
{
	if (ret_group_calls < ARRAY_SIZE(ret_group_seen))
		ret_group_seen[ret_group_calls] = current->utask->return_instances;
	ret_group_calls++;
	return 0;
}

/*
 * A function entered by tail calls from two probed functions returns: the
 * three instances sharing its stack slot leave the list before any of the
 * return handlers runs, so that a handler sees only the older frames, and
 * the task goes on at the oldest return address of the group.
 */
static void ret_group_test(struct kunit *test)
{
	struct uprobe_consumer con = { .ret_handler = ret_group_handler };
	struct uprobe *probe = test_probe(test, NULL, 0);
	struct uprobe_task *saved = current->utask;
	struct return_instance *older;
	struct uprobe_task *ut;
	struct pt_regs regs = {};
	int i;

	ut = utask_alloc();
	KUNIT_ASSERT_NOT_NULL(test, ut);
	INIT_LIST_HEAD(&probe->cons_head);
	list_add(&con.cons_node, &probe->cons_head);
	refcount_set(&probe->usage, 5);

	/* The older frame, still alive above the returning one. */
	older = kzalloc(sizeof(*older), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, older);
	*older = (struct return_instance) {
		.uprobe = probe, .func = 0x100, .stack = 0x9000,
		.orig_ret_vaddr = 0x1111,
	};
	ut->return_instances = older;
	ut->depth = 1;
	/* The returning one, then two chained to it by tail calls. */
	for (i = 0; i < 3; i++) {
		struct return_instance *ri = kzalloc(sizeof(*ri), GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, ri);
		*ri = (struct return_instance) {
			.uprobe = probe, .func = 0x200 + i, .stack = 0x7000,
			.orig_ret_vaddr = 0x2222, .chained = i > 0,
			.next = ut->return_instances,
		};
		ut->return_instances = ri;
		ut->depth++;
	}
	/* Right after the "ret" that popped the trampoline's address. */
	test_set_user_sp(&regs, 0x7008);
	ret_group_calls = 0;

	current->utask = ut;
	uprobe_handle_trampoline(&regs);
	current->utask = saved;

	KUNIT_EXPECT_EQ(test, ret_group_calls, 3);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_PTR_EQ(test, ret_group_seen[i], older);
	KUNIT_EXPECT_PTR_EQ(test, ut->return_instances, older);
	KUNIT_EXPECT_EQ(test, ut->depth, 1U);
	KUNIT_EXPECT_EQ(test, instruction_pointer(&regs), 0x2222UL);
	KUNIT_EXPECT_EQ(test, refcount_read(&probe->usage), 2);

	rinst_release(ut, rinst_pop(ut));
	KUNIT_EXPECT_EQ(test, refcount_read(&probe->usage), 1);
	utask_free(ut);
}

static struct kunit_case uprobes_core_cases[] = {
	KUNIT_CASE(probe_tree_order_test),
	KUNIT_CASE(probe_tree_duplicate_test),
	KUNIT_CASE(probe_tree_lookup_test),
	KUNIT_CASE(probe_tree_range_test),
	KUNIT_CASE(xol_bitmap_claim_test),
	KUNIT_CASE(xol_bitmap_unclaim_test),
	KUNIT_CASE(xol_slot_addr_test),
	KUNIT_CASE(handler_verdict_test),
	KUNIT_CASE(fork_copy_test),
	KUNIT_CASE(probe_find_rcu_test),
	KUNIT_CASE(rinst_pool_test),
	KUNIT_CASE(ret_group_test),
	KUNIT_CASE(bp_replay_test),
	KUNIT_CASE(boost_slot_test),
	KUNIT_CASE(boost_full_test),
	{}
};

static struct kunit_suite uprobes_core_suite = {
	.name = "uprobes_core",
	.test_cases = uprobes_core_cases,
};

kunit_test_suite(uprobes_core_suite);
