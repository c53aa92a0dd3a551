// SPDX-License-Identifier: GPL-2.0-only
/*
 * uprobes: the architecture independent breakpoint core.
 *
 * A probe is a breakpoint at (inode, file offset).  It is installed in
 * every process that maps that part of the file privately and executably,
 * as long as one of its consumers wants that process.  When a task hits it,
 * the consumers' handlers run in the task's own context, and the displaced
 * instruction is then either emulated by the architecture or single-stepped
 * out of line from a per-mm "XOL" page, so that other threads never see the
 * original instruction missing.
 *
 * Objects and lifetime:
 *
 * - struct uprobe is refcounted.  While it sits in probe_tree the tree
 *   owns one reference; uprobe_register() hands one to its caller, which
 *   gives it back in uprobe_unregister_nosync(); a task that hit the probe
 *   holds one while it single-steps, and one per pending return instance.
 *   The probe does not pin its inode: the callers of uprobe_register()
 *   keep it alive until they unregister (trace_uprobe and BPF hold the
 *   file's path), and a hit comes from a vma whose file pins it.  Only a
 *   probe left without consumers because a breakpoint could not be
 *   removed holds a file that maps it, until a retry removes the
 *   breakpoint (probe_retry_removals()); so the key can not be reused while
 *   the probe is in the tree, umount fails cleanly with -EBUSY (as it does
 *   for the mapping itself) instead of finding a busy inode, and probes
 *   that are gone hold nothing.
 *
 * - struct uprobe_consumer belongs to the caller.  Consumer lists are
 *   modified with list_add_rcu()/list_del_rcu() under the probe's
 *   cons_rwsem and read under probe_srcu on the hit path.  SRCU
 *   rather than RCU because handlers run in task context and may sleep
 *   (sleepable BPF programs).  After uprobe_unregister_sync() no handler
 *   can still be running with a consumer that was removed before it.
 *
 * Locks, outermost first:
 *
 *   probe->cons_rwsem		serialises register/unregister/apply of one
 *				probe, so that its consumer list and what is
 *				installed agree.
 *   probe_fork_sem		percpu rwsem, written around the i_mmap walk
 *				of register/unregister/apply, read by fork,
 *				so that a child's page tables are copied
 *				either before or after a walk, never during.
 *   mm->mmap_lock (write)	every install/removal in an mm, so they are
 *				serialised with each other and with the
 *				mmap/munmap hooks (which already hold it).
 *   probe->analyse_mutex	the one-time read and analysis of the
 *				original instruction.
 *   usdt_pending_lock		the list of USDT semaphore increments still
 *				waiting for their mapping.
 *   probe_tree_lock		rwlock over probe_tree.  Lookups on the hit
 *				path hold it for reading only long enough to
 *				take a reference, so they never sleep under it.
 *
 * A breakpoint goes in by mapping an anonymous copy of the page, with the
 * breakpoint written in the copy, in place of the page cache page (or of
 * the mm's own copy); removing the last breakpoint of a page maps the page
 * cache page again (uprobe_write_opcode()).  The page cache and shared
 * mappings are never written.  Forked children inherit the private pages
 * through fork's page copy.
 */

#define pr_fmt(fmt) "uprobes: " fmt

#include <linux/kernel.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/oom.h>
#include <linux/sched/mm.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/export.h>
#include <linux/rmap.h>
#include <linux/memcontrol.h>
#include <linux/mmu_notifier.h>
#include <linux/swap.h>
#include <linux/slab.h>
#include <linux/rbtree.h>
#include <linux/hash.h>
#include <linux/refcount.h>
#include <linux/srcu.h>
#include <linux/rculist.h>
#include <linux/percpu-rwsem.h>
#include <linux/task_work.h>
#include <linux/kdebug.h>
#include <linux/ptrace.h>
#include <linux/uprobes.h>
#include <linux/cacheflush.h>

#define XOL_SLOTS_PER_PAGE		(PAGE_SIZE / UPROBE_XOL_SLOT_BYTES)
/* Slot 0 of the XOL page holds the return probe trampoline. */
#define XOL_TRAMPOLINE_SLOT		0

/*
 * One probed (inode, file offset).  Field names are ours; only the type
 * name is shared with <linux/uprobes.h>, which keeps it opaque.
 */
struct uprobe {
	struct rb_node		node;		/* linked in probe_tree */
	refcount_t		usage;
	struct rcu_head		rcu;		/* freed after a probe_srcu GP */
	/* guards cons_head against register/unregister/apply */
	struct rw_semaphore	cons_rwsem;
	struct list_head	cons_head;	/* of uprobe_consumer::cons_node */
	struct inode		*host;		/* see "Objects and lifetime" */
	/* on probe_retry_list while @retry_file keeps @host alive */
	struct list_head	retry_node;
	struct file		*retry_file;	/* under cons_rwsem */
	loff_t			file_off;	/* of the probed instruction */
	loff_t			ctr_off;	/* USDT semaphore, 0 if none */
	/* one-time fetch and arch analysis of the instruction */
	struct mutex		analyse_mutex;
	/* ainsn is filled in; set with release, read with acquire */
	bool			analysed;
	struct arch_uprobe	ainsn;
};

/*
 * Slot allocator of one XOL page, one bit per UPROBE_XOL_SLOT_BYTES.  A
 * separate type so that the KUnit test can drive it without any mm.
 */
struct xol_bitmap {
	DECLARE_BITMAP(map, XOL_SLOTS_PER_PAGE);
	atomic_t		used;		/* bits set, trampoline included */
};

/*
 * Boosted slots (see "Boosted slots" below): BOOST_SLOTS copies of probed
 * instructions of one mm, each followed by a jump back, in BOOST_PAGES
 * pages mapped at @base.  Slot i runs the instruction of @key[i] (the
 * probe's arch_uprobe.insn) probed at @vaddr[i], @ilen[i] bytes long.
 * Slots are only ever added, under @lock, and published by @nr.  A hit
 * finds its slot through @hash: open addressing on the probed address,
 * each entry a slot number plus one, 0 for none; entries are only ever
 * added, and the table is twice the slots, so a walk ends at an empty one.
 */
#define BOOST_SLOT_BYTES	64		/* a run half and a hold half */
#define BOOST_HALF		(BOOST_SLOT_BYTES / 2)
#define BOOST_SLOTS		256
#define BOOST_SIZE		PAGE_ALIGN(BOOST_SLOTS * BOOST_SLOT_BYTES)
#define BOOST_PAGES		(BOOST_SIZE / PAGE_SIZE)
#define BOOST_KEY_BYTES		sizeof_field(struct arch_uprobe, insn)
#define BOOST_HASH_BITS		9
#define BOOST_HASH		BIT(BOOST_HASH_BITS)

struct boost_area {
	unsigned long		base;
	struct page		*pages[BOOST_PAGES];
	struct mutex		lock;		/* serialises additions */
	unsigned int		nr;		/* release/acquire */
	bool			gone;		/* user space unmapped (part of) it */
	unsigned long		vaddr[BOOST_SLOTS];
	u8			ilen[BOOST_SLOTS];
	u8			key[BOOST_SLOTS][BOOST_KEY_BYTES];
	u16			hash[BOOST_HASH];	/* release/acquire */
};

static_assert(BOOST_SLOTS < BOOST_HASH && BOOST_SLOTS < U16_MAX);

/* The per-mm page that holds the trampoline and the stepped copies. */
struct xol_area {
	unsigned long		base;		/* user address of insn_page */
	struct page		*insn_page;
	struct xol_bitmap	bits;
	wait_queue_head_t	slot_wait;	/* tasks waiting for a slot */
	struct boost_area	*boost;		/* release/acquire, or NULL */
	bool			boost_failed;	/* no boost area can be had */
};

static struct rb_root probe_tree = RB_ROOT;
static DEFINE_RWLOCK(probe_tree_lock);
/*
 * Advanced by every insertion into and erasure from probe_tree, so that a
 * lockless walk (probe_find_rcu()) can tell when a rotation may have hidden
 * the node it was looking for.
 */
static seqcount_rwlock_t probe_tree_seq =
	SEQCNT_RWLOCK_ZERO(probe_tree_seq, &probe_tree_lock);

DEFINE_STATIC_SRCU(probe_srcu);
DEFINE_STATIC_PERCPU_RWSEM(probe_fork_sem);

/* ------------------------------------------------------------------ */
/* The probe tree, ordered by (inode, offset).                          */

static int probe_key_cmp(const struct inode *inode, loff_t offset,
			 const struct uprobe *u)
{
	if (inode != u->host)
		return (unsigned long)inode < (unsigned long)u->host ? -1 : 1;
	if (offset != u->file_off)
		return offset < u->file_off ? -1 : 1;
	return 0;
}

static int probe_node_cmp(struct rb_node *a, const struct rb_node *b)
{
	const struct uprobe *ua = rb_entry(a, struct uprobe, node);

	return probe_key_cmp(ua->host, ua->file_off,
			      rb_entry(b, struct uprobe, node));
}

/*
 * Insert @u; returns the probe already holding that key, or NULL.  The
 * node is published with the ordering that lockless readers need.
 */
static struct uprobe *probe_tree_add(struct rb_root *root, struct uprobe *u)
{
	struct rb_node *old = rb_find_add_rcu(&u->node, root, probe_node_cmp);

	return old ? rb_entry(old, struct uprobe, node) : NULL;
}

/*
 * The first probe of @inode with @start <= offset < @end, or NULL.
 * Because the tree is ordered by (inode, offset), the probes of one inode
 * form a contiguous, sorted run and a lower-bound search finds the range.
 */
static struct uprobe *probe_tree_first_in(struct rb_root *root,
					  const struct inode *inode,
					loff_t start, loff_t end)
{
	struct rb_node *n = root->rb_node;
	struct uprobe *best = NULL;

	while (n) {
		struct uprobe *u = rb_entry(n, struct uprobe, node);

		if (probe_key_cmp(inode, start, u) <= 0) {
			best = u;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	if (best && best->host == inode && best->file_off < end)
		return best;
	return NULL;
}

static struct uprobe *probe_tree_lookup(struct rb_root *root,
					const struct inode *inode, loff_t offset)
{
	struct uprobe *u = probe_tree_first_in(root, inode, offset, offset + 1);

	return u && u->file_off == offset ? u : NULL;
}

static struct uprobe *probe_hold(struct uprobe *probe)
{
	refcount_inc(&probe->usage);
	return probe;
}

/*
 * A reference to a probe found without one (probe_find_rcu()), or NULL if
 * it is on its way out: its last reference is gone, so it has left the
 * tree and its breakpoints have been removed.
 */
static struct uprobe *probe_try_hold(struct uprobe *probe)
{
	return refcount_inc_not_zero(&probe->usage) ? probe : NULL;
}

static void probe_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct uprobe, rcu));
}

static void probe_drop(struct uprobe *probe)
{
	if (!refcount_dec_and_test(&probe->usage))
		return;
	/* The tree's reference is gone, so no new lookup can find it. */
	WARN_ON_ONCE(!RB_EMPTY_NODE(&probe->node));
	/* A breakpoint hit may still be looking at it under probe_srcu. */
	call_srcu(&probe_srcu, &probe->rcu, probe_free_rcu);
}

/*
 * Look up the first probe of @inode in [@start, @end) and return it with a
 * reference.  Every probe in the tree holds the tree's reference, and it
 * is erased from the tree before that reference is dropped, so
 * refcount_inc() under the read lock is safe.
 */
static struct uprobe *probe_lookup_range(struct inode *inode, loff_t start,
					 loff_t end)
{
	struct uprobe *u;

	read_lock(&probe_tree_lock);
	u = probe_tree_first_in(&probe_tree, inode, start, end);
	if (u)
		probe_hold(u);
	read_unlock(&probe_tree_lock);
	return u;
}

struct probe_key {
	const struct inode	*inode;
	loff_t			offset;
};

static int probe_key_node_cmp(const void *key, const struct rb_node *n)
{
	const struct probe_key *k = key;

	return probe_key_cmp(k->inode, k->offset,
			     rb_entry(n, struct uprobe, node));
}

/*
 * The probe at (@inode, @offset) for a breakpoint hit, found without
 * taking probe_tree_lock and returned without a reference: the caller holds
 * probe_srcu, and probes are freed only after a probe_srcu grace period.
 *
 * The walk races with insertions and erasures.  Their rotations can hide a
 * node from it for a moment but never lead it to a node with another key,
 * so a hit is trusted as is and only a miss is checked: if probe_tree_seq
 * moved (or a writer was inside), the lookup is repeated under the lock.
 * A probe being erased may still be returned; the caller copes with that
 * (probe_try_hold()).
 */
static struct uprobe *probe_find_rcu(struct inode *inode, loff_t offset)
{
	struct probe_key key = { .inode = inode, .offset = offset };
	struct rb_node *node;
	struct uprobe *probe;
	unsigned int seq;

	WARN_ON_ONCE(!srcu_read_lock_held(&probe_srcu));
	seq = raw_read_seqcount(&probe_tree_seq);
	node = rb_find_rcu(&key, &probe_tree, probe_key_node_cmp);
	if (node)
		return rb_entry(node, struct uprobe, node);
	if (!(seq & 1) && !read_seqcount_retry(&probe_tree_seq, seq))
		return NULL;

	read_lock(&probe_tree_lock);
	probe = probe_tree_lookup(&probe_tree, inode, offset);
	read_unlock(&probe_tree_lock);
	return probe;
}

static bool probe_unlinked(struct uprobe *probe)
{
	return RB_EMPTY_NODE(&probe->node);
}

/* Called with cons_rwsem held for writing and no consumers left. */
static void probe_unlink(struct uprobe *probe)
{
	write_lock(&probe_tree_lock);
	write_seqcount_begin(&probe_tree_seq);
	rb_erase(&probe->node, &probe_tree);
	write_seqcount_end(&probe_tree_seq);
	RB_CLEAR_NODE(&probe->node);
	write_unlock(&probe_tree_lock);
	probe_drop(probe);		/* the tree's reference */
}

/* Find or create the probe for (inode, offset); returns a new reference. */
static struct uprobe *probe_get_or_create(struct inode *inode, loff_t offset,
					  loff_t ref_ctr_offset)
{
	struct uprobe *new, *cur;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return ERR_PTR(-ENOMEM);
	new->host = inode;
	new->file_off = offset;
	new->ctr_off = ref_ctr_offset;
	refcount_set(&new->usage, 2);	/* the tree's and the caller's */
	init_rwsem(&new->cons_rwsem);
	INIT_LIST_HEAD(&new->retry_node);
	mutex_init(&new->analyse_mutex);
	INIT_LIST_HEAD(&new->cons_head);

	write_lock(&probe_tree_lock);
	write_seqcount_begin(&probe_tree_seq);
	cur = probe_tree_add(&probe_tree, new);
	write_seqcount_end(&probe_tree_seq);
	if (cur)
		probe_hold(cur);
	write_unlock(&probe_tree_lock);

	if (!cur)
		return new;

	kfree(new);
	if (cur->ctr_off != ref_ctr_offset) {
		pr_warn("inode %lu offset %#llx: USDT semaphore at %#llx, not %#llx\n",
			inode->i_ino, (unsigned long long)offset,
			(unsigned long long)cur->ctr_off,
			(unsigned long long)ref_ctr_offset);
		probe_drop(cur);
		return ERR_PTR(-EINVAL);
	}
	return cur;
}

/* ------------------------------------------------------------------ */
/* Consumers and filters.                                               */

#define probe_cons_protected(probe)					\
	(srcu_read_lock_held(&probe_srcu) ||				\
	 lockdep_is_held(&(probe)->cons_rwsem))

static bool con_wants_mm(struct uprobe_consumer *con, struct mm_struct *mm)
{
	return !con->filter || con->filter(con, mm);
}

/*
 * Does any consumer want the breakpoint in @mm?  Caller holds either
 * probe_srcu or cons_rwsem.
 */
static bool probe_wanted_by(struct uprobe *probe, struct mm_struct *mm)
{
	struct uprobe_consumer *con;

	list_for_each_entry_srcu(con, &probe->cons_head, cons_node,
				 probe_cons_protected(probe)) {
		if (con_wants_mm(con, mm))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Reading and writing instructions.                                    */

/**
 * is_swbp_insn - is @opc the architecture's software breakpoint?
 * @opc: the first bytes of an instruction
 *
 * Weak default: compare with UPROBE_SWBP_INSN.
 *
 * Return: true if it is.
 */
bool __weak is_swbp_insn(uprobe_opcode_t *opc)
{
	const uprobe_opcode_t swbp = UPROBE_SWBP_INSN;

	return *opc == swbp;
}

/**
 * is_trap_insn - does @opc trap like a breakpoint?
 * @opc: the first bytes of an instruction
 *
 * Architectures with several trapping encodings override this; such an
 * instruction can not be probed.  Weak default: is_swbp_insn().
 *
 * Return: true if executing @opc would trap.
 */
bool __weak is_trap_insn(uprobe_opcode_t *opc)
{
	return is_swbp_insn(opc);
}

/**
 * uprobe_get_swbp_addr - address of the breakpoint that just trapped
 * @regs: user registers at the trap
 *
 * Weak default for architectures whose breakpoint leaves the IP after it.
 *
 * Return: the user address of the breakpoint instruction.
 */
unsigned long __weak uprobe_get_swbp_addr(struct pt_regs *regs)
{
	return instruction_pointer(regs) - UPROBE_SWBP_INSN_SIZE;
}

/**
 * arch_uprobe_ignore - let the architecture skip a hit
 * @aup: the probed instruction
 * @regs: user registers at the hit
 *
 * Weak default: never.
 *
 * Return: true if the architecture has already dealt with this hit (for
 * example a conditional instruction whose condition fails) so that neither
 * handlers nor the step run.
 */
bool __weak arch_uprobe_ignore(struct arch_uprobe *aup, struct pt_regs *regs)
{
	return false;
}

/**
 * arch_uprobe_copy_ixol - copy an instruction into an XOL slot
 * @page: the XOL page
 * @vaddr: user address of the slot
 * @src: instruction bytes
 * @len: number of bytes
 *
 * Weak default: copy through the kernel mapping and flush the data cache.
 */
void __weak arch_uprobe_copy_ixol(struct page *page, unsigned long vaddr,
				  void *src, unsigned long len)
{
	void *kaddr = kmap_local_page(page);

	memcpy(kaddr + offset_in_page(vaddr), src, len);
	kunmap_local(kaddr);
	flush_dcache_page(page);
}

/**
 * arch_uprobe_trampoline - instructions for the return probe trampoline
 * @len: set to the size of the returned instructions
 *
 * Weak default: a single breakpoint; bp_handle_hit() recognises its address.
 *
 * Return: the instruction bytes, to be copied into the trampoline slot.
 */
void * __weak arch_uprobe_trampoline(unsigned long *len)
{
	static uprobe_opcode_t trap_only = UPROBE_SWBP_INSN;

	*len = UPROBE_SWBP_INSN_SIZE;
	return &trap_only;
}

/**
 * arch_uprobe_boost_image - lay out a boosted copy of a probed instruction
 * @aup: the analysed probe
 * @vaddr: the probed address in current->mm
 * @run: @size bytes: the instruction, then a jump to the next original one
 * @hold: @size bytes: the instruction, then a breakpoint
 * @size: bytes in each half
 *
 * Only for an instruction that behaves the same at any address and does
 * not depend on the trap flag.  Both copies must fit in @size bytes.
 *
 * Return: the instruction's length (less than @size), or -EOPNOTSUPP if
 * it cannot be boosted.
 */
int __weak arch_uprobe_boost_image(struct arch_uprobe *aup, unsigned long vaddr,
				   u8 *run, u8 *hold, size_t size)
{
	return -EOPNOTSUPP;
}

/**
 * arch_uprobe_boost_now - may this hit run the boosted copy?
 * @aup: the analysed probe
 * @regs: the task's registers at the hit
 *
 * Return: false if the instruction must be stepped this time (e.g. a
 * debugger single-steps the task).
 */
bool __weak arch_uprobe_boost_now(struct arch_uprobe *aup, struct pt_regs *regs)
{
	return false;
}

/**
 * arch_uprobe_boost_hold - current runs (@hold) or ran a held boosted copy
 * @hold: true before, false after
 *
 * Lets arch_uprobe_xol_was_trapped() tell a fault of the instruction.
 */
void __weak arch_uprobe_boost_hold(bool hold)
{
}

/**
 * arch_uprobe_get_xol_area - preferred user address of the XOL page
 *
 * Weak default: the top page below TASK_SIZE, which is normally free.
 *
 * Return: the address to try first when mapping the XOL page.
 */
unsigned long __weak arch_uprobe_get_xol_area(void)
{
	return TASK_SIZE - PAGE_SIZE;
}

static loff_t vma_addr_to_foff(struct vm_area_struct *vma, unsigned long vaddr)
{
	return ((loff_t)vma->vm_pgoff << PAGE_SHIFT) + (vaddr - vma->vm_start);
}

static unsigned long vma_foff_to_addr(struct vm_area_struct *vma, loff_t offset)
{
	return vma->vm_start + offset - ((loff_t)vma->vm_pgoff << PAGE_SHIFT);
}

/*
 * Breakpoints go only into private file mappings that are executable and
 * not writable now (@exec_now).  Not writable, because the page is copied
 * while other threads run: a store they made to a writable page between
 * the copy and the switch of the PTE would be lost.  A breakpoint stays in
 * its page when user space later mprotect()s the mapping (without
 * PROT_EXEC, or with PROT_WRITE): removal, hits and the MMF_HAS_UPROBES
 * bookkeeping look at every private mapping that may execute (VM_MAYEXEC).
 */
static bool vma_probeable_as(struct vm_area_struct *vma, bool exec_now)
{
	vm_flags_t never = VM_HUGETLB | VM_SHARED | VM_MAYSHARE;

	if (exec_now)
		never |= VM_WRITE;
	if (!vma->vm_file || (vma->vm_flags & never))
		return false;
	return vma->vm_flags & (exec_now ? VM_EXEC : VM_MAYEXEC);
}

static bool vma_probeable(struct vm_area_struct *vma)
{
	return vma_probeable_as(vma, true);
}

/* May @vma hold a breakpoint written while it was executable? */
static bool vma_may_hold_bp(struct vm_area_struct *vma)
{
	return vma_probeable_as(vma, false);
}

static bool vma_maps_probe(struct vm_area_struct *vma, struct uprobe *probe,
			   unsigned long vaddr, bool exec_now)
{
	return vma && vma_probeable_as(vma, exec_now) &&
	       file_inode(vma->vm_file) == probe->host &&
	       vma_addr_to_foff(vma, vaddr) == probe->file_off;
}

/* Read the opcode at @vaddr in @mm; mmap_lock held. */
static int bp_peek_opcode(struct mm_struct *mm, unsigned long vaddr,
			  uprobe_opcode_t *opcode)
{
	struct page *page;
	long ret;

	ret = get_user_pages_remote(mm, vaddr, 1, FOLL_FORCE, &page, NULL);
	if (ret <= 0)
		return ret ? ret : -EFAULT;
	memcpy_from_page((char *)opcode, page, offset_in_page(vaddr),
			 UPROBE_SWBP_INSN_SIZE);
	put_page(page);
	return 0;
}

/*
 * Make the page table entry of @addr in @vma, which maps @old_page, map
 * @new_page instead.  @new_page is either a new anonymous page that nobody
 * has mapped yet (@fresh) or a page of the file's page cache, locked by the
 * caller.  Writing into the mapped page itself would modify code that other
 * threads of the mm may be executing at this moment, which the CPUs only
 * tolerate with every one of them serialised; here each thread sees either
 * the old page or the new one, because the old translation is flushed from
 * every TLB before the new one is set.
 *
 * Return: 0, or -EAGAIN if @addr no longer maps @old_page.
 */
static int bp_replace_pte(struct vm_area_struct *vma, unsigned long addr,
			  struct page *old_page, struct page *new_page,
			  bool fresh)
{
	struct folio *old = page_folio(old_page), *new = page_folio(new_page);
	int new_counter = fresh ? MM_ANONPAGES : mm_counter_file(new);
	struct mm_struct *mm = vma->vm_mm;
	struct mmu_notifier_range range;
	spinlock_t *ptl;	/* page table lock of @addr */
	pte_t *ptep, pte;
	int ret = 0;

	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, mm, addr,
				addr + PAGE_SIZE);
	mmu_notifier_invalidate_range_start(&range);
	ptep = get_locked_pte(mm, addr, &ptl);
	if (!ptep) {
		ret = -EAGAIN;
		goto out;
	}
	pte = ptep_get(ptep);
	if (!pte_present(pte) || pte_page(pte) != old_page) {
		/* Changed since get_user_pages_remote(): let the caller retry. */
		ret = -EAGAIN;
		goto unlock;
	}
	if (fresh) {
		folio_add_new_anon_rmap(new, vma, addr, RMAP_EXCLUSIVE);
		folio_add_lru_vma(new, vma);
	} else {
		folio_get(new);		/* the page table's reference */
		folio_add_file_rmap_pte(new, new_page, vma);
	}
	if (mm_counter(old) != new_counter) {
		dec_mm_counter(mm, mm_counter(old));
		inc_mm_counter(mm, new_counter);
	}
	flush_cache_page(vma, addr, pte_pfn(pte));
	ptep_clear_flush(vma, addr, ptep);
	set_pte_at(mm, addr, ptep, mk_pte(new_page, vma->vm_page_prot));
	folio_remove_rmap_pte(old, old_page, vma);
	folio_put(old);		/* the page table's reference */
unlock:
	pte_unmap_unlock(ptep, ptl);
out:
	mmu_notifier_invalidate_range_end(&range);
	return ret;
}

/*
 * Map a copy of @cur with @opcode written at @vaddr in place of @cur.  The
 * page is copied once, straight from whatever is mapped (the page cache
 * page or the mm's own anonymous copy), never written in place.
 */
static int bp_map_copy(struct vm_area_struct *vma, unsigned long vaddr,
		       struct page *cur, uprobe_opcode_t opcode)
{
	unsigned long addr = vaddr & PAGE_MASK;
	struct folio *copy;
	int ret;

	ret = anon_vma_prepare(vma);
	if (ret)
		return ret;
	copy = vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 0, vma, addr, false);
	if (!copy)
		return -ENOMEM;
	if (mem_cgroup_charge(copy, vma->vm_mm, GFP_KERNEL)) {
		folio_put(copy);
		return -ENOMEM;
	}
	copy_highpage(folio_page(copy, 0), cur);
	memcpy_to_page(folio_page(copy, 0), offset_in_page(vaddr),
		       (char *)&opcode, UPROBE_SWBP_INSN_SIZE);
	__folio_mark_uptodate(copy);

	ret = bp_replace_pte(vma, addr, cur, folio_page(copy, 0), true);
	if (ret)
		folio_put(copy);
	return ret;
}

/*
 * Is @cur, with @opcode written at @vaddr, byte for byte the page cache
 * page it was copied from?  Then return that page, locked and with a
 * reference, so that removing the last breakpoint of a page gives the mm
 * the shared page (and a file THP its chance to be collapsed) back.
 */
static struct page *bp_file_page_if_same(struct vm_area_struct *vma,
					 unsigned long vaddr, struct page *cur,
					 uprobe_opcode_t opcode)
{
	struct address_space *mapping = vma->vm_file->f_mapping;
	pgoff_t index = linear_page_index(vma, vaddr);
	size_t off = offset_in_page(vaddr), n = UPROBE_SWBP_INSN_SIZE;
	struct folio *folio;
	struct page *page;
	char *a, *b;
	bool same;

	/* Compared without the PTL: stores to a writable copy could race. */
	if (vma->vm_flags & VM_WRITE)
		return NULL;
	folio = filemap_get_folio(mapping, index);
	if (IS_ERR(folio))
		return NULL;
	folio_lock(folio);
	if (folio->mapping != mapping || !folio_test_uptodate(folio))
		goto no;
	page = folio_file_page(folio, index);
	if (page == cur)
		goto no;
	a = kmap_local_page(cur);
	b = kmap_local_page(page);
	same = !memcmp(a, b, off) && !memcmp(&opcode, b + off, n) &&
	       !memcmp(a + off + n, b + off + n, PAGE_SIZE - off - n);
	kunmap_local(b);
	kunmap_local(a);
	if (same)
		return page;
no:
	folio_unlock(folio);
	folio_put(folio);
	return NULL;
}

/**
 * uprobe_write_opcode - write a breakpoint or restore an instruction
 * @auprobe: the probed instruction
 * @mm: the address space to modify
 * @vaddr: user address of the probed instruction
 * @opcode: UPROBE_SWBP_INSN to install, the original opcode to remove
 *
 * The page mapped at @vaddr (a page cache page, or the mm's anonymous copy
 * of one) is never written: a copy holding @opcode replaces it in @mm's
 * page table, or, if the result is the page cache page again, that page
 * does.  Neither the page cache nor a page shared with another mm is ever
 * modified.  Installing over an existing breakpoint, or restoring where
 * there is no breakpoint, does nothing.  Called with mmap_lock held for
 * writing.
 *
 * Return: 0 or a negative errno.
 */
int uprobe_write_opcode(struct arch_uprobe *auprobe, struct mm_struct *mm,
			unsigned long vaddr, uprobe_opcode_t opcode)
{
	bool install = is_swbp_insn(&opcode);
	struct vm_area_struct *vma;
	struct page *cur, *file_page;
	uprobe_opcode_t now;
	long ret;

	mmap_assert_write_locked(mm);
	vma = vma_lookup(mm, vaddr);
	if (!vma || !vma->vm_file ||
	    (vma->vm_flags & (VM_SHARED | VM_MAYSHARE | VM_HUGETLB)))
		return -EFAULT;
	do {
		/* A huge page mapping is split so that one PTE can change. */
		ret = get_user_pages_remote(mm, vaddr, 1,
					    FOLL_FORCE | FOLL_SPLIT_PMD, &cur, NULL);
		/*
		 * Our breakpoints live only in anonymous copies, which GUP
		 * finds present or swaps in.  A page that can not be faulted
		 * in at all (truncated below the probe, which zaps private
		 * copies too, or poisoned) holds none: nothing to remove, and
		 * nothing that retrying could change.  Other errors
		 * (-ENOMEM) are transient and reported.
		 */
		if (!install && (ret == -EFAULT || ret == -EHWPOISON))
			return 0;
		if (ret <= 0)
			return ret ? ret : -EFAULT;
		memcpy_from_page((char *)&now, cur, offset_in_page(vaddr),
				 UPROBE_SWBP_INSN_SIZE);
		if (is_swbp_insn(&now) == install) {
			put_page(cur);
			return 0;
		}
		file_page = install ? NULL :
			    bp_file_page_if_same(vma, vaddr, cur, opcode);
		if (file_page) {
			ret = bp_replace_pte(vma, vaddr & PAGE_MASK, cur,
					     file_page, false);
			unlock_page(file_page);
			put_page(file_page);
		} else {
			ret = bp_map_copy(vma, vaddr, cur, opcode);
		}
		put_page(cur);
	} while (ret == -EAGAIN);
	return ret;
}

/**
 * set_swbp - install a breakpoint
 * @aup: the probed instruction
 * @mm: the address space
 * @vaddr: user address of the probed instruction
 *
 * Weak default: uprobe_write_opcode() with UPROBE_SWBP_INSN.
 *
 * Return: 0 or a negative errno.
 */
int __weak set_swbp(struct arch_uprobe *aup, struct mm_struct *mm,
		    unsigned long vaddr)
{
	return uprobe_write_opcode(aup, mm, vaddr, UPROBE_SWBP_INSN);
}

/**
 * set_orig_insn - restore the original instruction over a breakpoint
 * @aup: the probed instruction
 * @mm: the address space
 * @vaddr: user address of the probed instruction
 *
 * Weak default: uprobe_write_opcode() with the saved opcode.
 *
 * Return: 0 or a negative errno.
 */
int __weak set_orig_insn(struct arch_uprobe *aup, struct mm_struct *mm,
			 unsigned long vaddr)
{
	return uprobe_write_opcode(aup, mm, vaddr,
				   *(uprobe_opcode_t *)&aup->insn);
}

/*
 * Fill arch_uprobe.insn from the file at probe->file_off, read through the
 * page cache.  Its size is the architecture's: an array of up to 16 bytes
 * on x86, a single __le32 on arm64, so it is only ever used through its
 * address and sizeof().  The instruction may span two pages and is cut
 * short at EOF (the rest stays zero and the analysis decides whether that
 * is enough).
 */
static int probe_read_insn(struct uprobe *probe, struct file *file)
{
	struct address_space *mapping = probe->host->i_mapping;
	loff_t size = i_size_read(probe->host);
	loff_t pos = probe->file_off;
	char *dst = (char *)&probe->ainsn.insn;
	size_t left;

	if (pos >= size)
		return -EINVAL;
	left = min_t(loff_t, sizeof(probe->ainsn.insn), size - pos);
	memset(&probe->ainsn.insn, 0, sizeof(probe->ainsn.insn));

	while (left) {
		size_t off = offset_in_page(pos);
		size_t len = min_t(size_t, left, PAGE_SIZE - off);
		pgoff_t index = pos >> PAGE_SHIFT;
		struct folio *folio;

		if (shmem_mapping(mapping))
			folio = shmem_read_folio(mapping, index);
		else
			folio = read_mapping_folio(mapping, index, file);
		if (IS_ERR(folio))
			return PTR_ERR(folio);
		memcpy_from_folio(dst, folio, offset_in_folio(folio, pos), len);
		folio_put(folio);

		dst += len;
		pos += len;
		left -= len;
	}
	return 0;
}

/*
 * Fetch the probed instruction and let the architecture decide how to run
 * it.  An instruction that already traps is refused: a hit on it could not
 * be told apart from a hit on our own breakpoint.
 */
static int probe_fetch_and_check(struct uprobe *probe, struct file *file,
				 struct mm_struct *mm, unsigned long vaddr)
{
	int err = probe_read_insn(probe, file);

	if (!err && is_trap_insn((uprobe_opcode_t *)&probe->ainsn.insn))
		err = -EOPNOTSUPP;
	if (!err)
		err = arch_uprobe_analyze_insn(&probe->ainsn, mm, vaddr);
	return err;
}

/*
 * Done once per probe, on its first install.  Failure leaves the probe
 * unanalysed, so the next install (maybe of another mm) tries again.
 */
static int probe_analyse(struct uprobe *probe, struct file *file,
			 struct mm_struct *mm, unsigned long vaddr)
{
	int err = 0;

	/* Acquire: ainsn is complete once ->analysed reads true. */
	if (smp_load_acquire(&probe->analysed))
		return 0;

	mutex_lock(&probe->analyse_mutex);
	if (!probe->analysed) {
		err = probe_fetch_and_check(probe, file, mm, vaddr);
		if (!err) {
			/* Release: lockless readers see ainsn before the flag. */
			smp_store_release(&probe->analysed, true);
		}
	}
	mutex_unlock(&probe->analyse_mutex);
	return err;
}

/*
 * USDT semaphores ("reference counters"): a short in the probed file's
 * writable data that tells the program whether anybody probes it.  It is
 * incremented when the breakpoint goes into an mm and decremented when it
 * comes out.  The data segment is often mapped after the text (by ld.so),
 * so an increment that finds no mapping yet is remembered here and done by
 * uprobe_mmap() when the data appears.  Protected by usdt_pending_lock,
 * which nests inside mmap_lock; entries go with the mm (uprobe_clear_state).
 */
struct usdt_pending {
	struct list_head	link;		/* in usdt_pending_list */
	struct uprobe		*probe;		/* a reference of its own */
	struct mm_struct	*mm;		/* not pinned: see above */
};

static LIST_HEAD(usdt_pending_list);
static DEFINE_MUTEX(usdt_pending_lock);

static void usdt_warn(void)
{
	pr_warn_ratelimited("%s[%d]: USDT semaphore not updated\n",
			    current->comm, task_pid_nr(current));
}

static bool vma_holds_usdt_ctr(struct vm_area_struct *vma, struct uprobe *probe)
{
	vm_flags_t flags = VM_WRITE | VM_SHARED | VM_MAYSHARE;
	loff_t start, end;

	if (!vma->vm_file || file_inode(vma->vm_file) != probe->host ||
	    (vma->vm_flags & flags) != VM_WRITE)
		return false;
	start = vma_addr_to_foff(vma, vma->vm_start);
	end = vma_addr_to_foff(vma, vma->vm_end);
	return probe->ctr_off >= start && probe->ctr_off < end;
}

/* Add @d to the counter in @vma (COW breaks as for breakpoints). */
static int usdt_ctr_add_vma(struct vm_area_struct *vma, struct uprobe *probe,
			    short d)
{
	unsigned long vaddr = vma_foff_to_addr(vma, probe->ctr_off);
	struct page *page;
	short *ctr;
	void *kaddr;
	long ret;
	int err = 0;

	ret = get_user_pages_remote(vma->vm_mm, vaddr, 1,
				    FOLL_FORCE | FOLL_WRITE, &page, NULL);
	if (ret <= 0)
		return ret ? ret : -EFAULT;
	kaddr = kmap_local_page(page);
	ctr = kaddr + offset_in_page(vaddr);
	/* The program owns this memory: never let it wrap below zero. */
	if (d < 0 && *ctr + d < 0)
		err = -EINVAL;
	else
		*ctr += d;
	kunmap_local(kaddr);
	set_page_dirty_lock(page);
	put_page(page);
	return err;
}

/*
 * -ENOENT: no mapping of the counter in @mm yet.  An increment goes to the
 * first mapping of the counter; a decrement to the first one it does not
 * take below zero, because the program may have mapped the counter's page
 * privately once more (below the first) since the increment.
 */
static int usdt_ctr_add(struct uprobe *probe, struct mm_struct *mm, short d)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct vm_area_struct *vma;
	int err = -ENOENT;

	for_each_vma(vmi, vma) {
		if (!vma_holds_usdt_ctr(vma, probe))
			continue;
		err = usdt_ctr_add_vma(vma, probe, d);
		if (err != -EINVAL || d > 0)
			break;
	}
	return err;
}

static int usdt_defer(struct uprobe *probe, struct mm_struct *mm)
{
	struct usdt_pending *d = kzalloc(sizeof(*d), GFP_KERNEL);

	if (!d)
		return -ENOMEM;
	d->probe = probe_hold(probe);
	d->mm = mm;
	mutex_lock(&usdt_pending_lock);
	list_add(&d->link, &usdt_pending_list);
	mutex_unlock(&usdt_pending_lock);
	return 0;
}

static void usdt_pending_free(struct usdt_pending *d)
{
	list_del(&d->link);
	probe_drop(d->probe);
	kfree(d);
}

/* Drop the pending increment for (@probe, @mm); false if there was none. */
static bool usdt_cancel_deferred(struct uprobe *probe, struct mm_struct *mm)
{
	struct usdt_pending *d;
	bool found = false;

	mutex_lock(&usdt_pending_lock);
	list_for_each_entry(d, &usdt_pending_list, link) {
		if (d->probe == probe && d->mm == mm) {
			usdt_pending_free(d);
			found = true;
			break;
		}
	}
	mutex_unlock(&usdt_pending_lock);
	return found;
}

/* uprobe_mmap() of a writable mapping: do the increments it was waiting for. */
static void usdt_apply_deferred(struct vm_area_struct *vma)
{
	struct usdt_pending *d, *tmp;

	mutex_lock(&usdt_pending_lock);
	list_for_each_entry_safe(d, tmp, &usdt_pending_list, link) {
		if (d->mm != vma->vm_mm || !vma_holds_usdt_ctr(vma, d->probe))
			continue;
		if (usdt_ctr_add_vma(vma, d->probe, 1))
			usdt_warn();
		usdt_pending_free(d);
	}
	mutex_unlock(&usdt_pending_lock);
}

static bool bp_present(struct mm_struct *mm, unsigned long vaddr)
{
	uprobe_opcode_t opcode;

	return !bp_peek_opcode(mm, vaddr, &opcode) && is_swbp_insn(&opcode);
}

/*
 * @mm may now have breakpoints; with @recount, it may also have lost
 * some, and the next miss in it recomputes MMF_HAS_UPROBES.
 */
static void mm_note_probes(struct mm_struct *mm, bool recount)
{
	if (recount)
		set_bit(MMF_RECALC_UPROBES, &mm->flags);
	else
		set_bit(MMF_HAS_UPROBES, &mm->flags);
}

/* mmap_lock held for writing; @vma maps @probe at @vaddr. */
static int bp_install(struct uprobe *probe, struct mm_struct *mm,
		      struct vm_area_struct *vma, unsigned long vaddr)
{
	int ret;

	ret = probe_analyse(probe, vma->vm_file, mm, vaddr);
	if (ret)
		return ret;
	/* Before the write, so that a hit right after it is recognised. */
	mm_note_probes(mm, false);
	if (!probe->ctr_off)
		return set_swbp(&probe->ainsn, mm, vaddr);

	/* Count only real installs: fork children inherit both. */
	if (bp_present(mm, vaddr))
		return 0;
	ret = usdt_ctr_add(probe, mm, 1);
	if (ret == -ENOENT)
		ret = usdt_defer(probe, mm);
	if (ret)
		return ret;
	ret = set_swbp(&probe->ainsn, mm, vaddr);
	if (ret && !usdt_cancel_deferred(probe, mm))
		usdt_ctr_add(probe, mm, -1);
	return ret;
}

static int bp_remove(struct uprobe *probe, struct mm_struct *mm,
		     unsigned long vaddr)
{
	int ret;

	/* Without the original instruction we never installed anything. */
	if (!smp_load_acquire(&probe->analysed))
		return 0;
	mm_note_probes(mm, true);
	if (!probe->ctr_off)
		return set_orig_insn(&probe->ainsn, mm, vaddr);

	if (!bp_present(mm, vaddr))
		return 0;
	ret = set_orig_insn(&probe->ainsn, mm, vaddr);
	if (!ret && !usdt_cancel_deferred(probe, mm) &&
	    usdt_ctr_add(probe, mm, -1))
		usdt_warn();
	return ret;
}

/* ------------------------------------------------------------------ */
/* Registration.                                                        */

/**
 * uprobe_start_dup_mmap - fork is about to copy an mm
 *
 * Holds register, unregister and apply off (they take probe_fork_sem for
 * writing around their walk over the mappings) while fork copies page
 * tables, so that a child never gets half of a walk's changes.
 */
void uprobe_start_dup_mmap(void)
{
	percpu_down_read(&probe_fork_sem);
}

struct probe_site {
	struct mm_struct	*mm;
	unsigned long		addr;
};

/*
 * Collect (mm, addr) for every vma mapping the probe.  Memory can not be
 * allocated while i_mmap_rwsem is held (reclaim may need it), so count
 * first and retry with a bigger array if the mapping grew meanwhile.
 */
static struct probe_site *probe_collect_sites(struct uprobe *probe,
					      bool install, int *nr)
{
	struct address_space *mapping = probe->host->i_mapping;
	pgoff_t pgoff = probe->file_off >> PAGE_SHIFT;
	struct probe_site *sites = NULL;
	struct vm_area_struct *vma;
	int cap = 0, n, i;

	for (;;) {
		n = 0;
		i_mmap_lock_read(mapping);
		vma_interval_tree_foreach(vma, &mapping->i_mmap, pgoff, pgoff) {
			if (!vma_probeable_as(vma, install))
				continue;
			if (n < cap) {
				if (!mmget_not_zero(vma->vm_mm))
					continue;
				sites[n].mm = vma->vm_mm;
				sites[n].addr = vma_foff_to_addr(vma, probe->file_off);
			}
			n++;
		}
		i_mmap_unlock_read(mapping);

		if (n <= cap)
			break;
		for (i = 0; i < cap; i++)
			mmput(sites[i].mm);
		kvfree(sites);
		cap = n + 4;
		sites = kvmalloc_array(cap, sizeof(*sites), GFP_KERNEL);
		if (!sites)
			return ERR_PTR(-ENOMEM);
	}
	*nr = n;
	return sites;
}

/**
 * uprobe_end_dup_mmap - fork has finished copying an mm
 */
void uprobe_end_dup_mmap(void)
{
	percpu_up_read(&probe_fork_sem);
}

/* probe_sync_all_mms() for one site; takes @site->mm's mmap_lock. */
static int probe_sync_site(struct uprobe *probe, struct uprobe_consumer *new,
			   struct probe_site *site)
{
	struct mm_struct *mm = site->mm;
	struct vm_area_struct *vma;
	int ret = 0;

	mmap_write_lock(mm);
	/* The mm may be exiting, or the vma gone since the i_mmap walk. */
	vma = check_stable_address_space(mm) ? NULL :
	      vma_lookup(mm, site->addr);
	if (!vma_maps_probe(vma, probe, site->addr, new))
		goto out;
	if (!new) {
		if (!probe_wanted_by(probe, mm))
			ret = bp_remove(probe, mm, site->addr);
	} else if (con_wants_mm(new, mm)) {
		ret = bp_install(probe, mm, vma, site->addr);
	}
out:
	mmap_write_unlock(mm);
	return ret;
}

/*
 * Bring every mm mapping @probe in line with its consumers.  With @new,
 * install where @new wants the probe (the others are already installed)
 * and stop at the first error.  Without, remove wherever no consumer is
 * left that wants it, carrying on past errors.  Called with cons_rwsem
 * and probe_fork_sem held for writing.
 */
static int probe_sync_all_mms(struct uprobe *probe, struct uprobe_consumer *new)
{
	struct probe_site *sites;
	int nr = 0, i, err = 0;

	sites = probe_collect_sites(probe, new, &nr);
	if (IS_ERR(sites))
		return PTR_ERR(sites);

	for (i = 0; i < nr; i++) {
		/* Installing stops at the first failure; removal carries on. */
		if (!(err && new)) {
			int ret = probe_sync_site(probe, new, &sites[i]);

			err = err ?: ret;
		}
		mmput(sites[i].mm);
	}
	kvfree(sites);
	return err;
}

/*
 * A file through which some vma maps @probe's page, with a reference, or
 * NULL if none does (then no breakpoint of @probe is left anywhere).
 */
static struct file *probe_pin_mapping(struct uprobe *probe)
{
	struct address_space *mapping = probe->host->i_mapping;
	pgoff_t pgoff = probe->file_off >> PAGE_SHIFT;
	struct vm_area_struct *vma;
	struct file *file = NULL;

	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(vma, &mapping->i_mmap, pgoff, pgoff) {
		/* i_mmap_rwsem keeps the vma, and so its file reference. */
		if (vma_may_hold_bp(vma)) {
			file = get_file(vma->vm_file);
			break;
		}
	}
	i_mmap_unlock_read(mapping);
	return file;
}

/*
 * Probes whose breakpoints could not all be removed, retried every second
 * by one work for all of them: a failed removal is rare, and a work item
 * in every probe would make each one twice as big.
 */
static LIST_HEAD(probe_retry_list);
static DEFINE_SPINLOCK(probe_retry_lock);	/* guards every retry_node */
static void probe_retry_removals(struct work_struct *work);
static DECLARE_DELAYED_WORK(probe_retry_dwork, probe_retry_removals);

static void probe_queue_retry(struct uprobe *probe)
{
	spin_lock(&probe_retry_lock);
	if (list_empty(&probe->retry_node))
		list_add_tail(&probe->retry_node, &probe_retry_list);
	spin_unlock(&probe_retry_lock);
	schedule_delayed_work(&probe_retry_dwork, HZ);
}

/*
 * Remove the breakpoints of @probe nobody wants any more; once it has no
 * consumer, drop it from the tree.  If a breakpoint could not be removed
 * (memory ran out, say), a probe without consumers stays in the tree, so
 * that a task hitting the leftover breakpoint still steps over it instead
 * of getting SIGTRAP, and the removal is retried every second.  Meanwhile
 * it holds a file that maps it: the inode, which is its key, must outlive
 * it, and the caller's reference ends when this returns.  Called with
 * cons_rwsem held for writing.
 */
static void probe_prune(struct uprobe *probe)
{
	int err;

	percpu_down_write(&probe_fork_sem);
	err = probe_sync_all_mms(probe, NULL);
	percpu_up_write(&probe_fork_sem);

	if (!list_empty(&probe->cons_head))
		return;		/* their own unregistration removes the rest */
	if (err && !probe->retry_file) {
		probe->retry_file = probe_pin_mapping(probe);
		if (probe->retry_file)
			probe_hold(probe);	/* for the work */
		else
			err = 0;	/* unmapped since: nothing is left */
	}
	if (err) {
		pr_warn_ratelimited("inode %lu offset %#llx: breakpoint not removed (%d), retrying\n",
				    probe->host->i_ino,
				    (unsigned long long)probe->file_off, err);
		probe_queue_retry(probe);
	} else if (!probe_unlinked(probe)) {
		probe_unlink(probe);
	}
}

/*
 * Retry the removal of breakpoints nobody wants (see probe_prune()).  The
 * probe's reference for the retry is held while @retry_file is set.
 */
static void probe_retry_removal(struct uprobe *probe)
{
	struct file *pinned = NULL;

	down_write(&probe->cons_rwsem);
	probe_prune(probe);
	/* Done, or consumers are back: they keep the inode alive now. */
	if (probe->retry_file &&
	    (probe_unlinked(probe) || !list_empty(&probe->cons_head))) {
		pinned = probe->retry_file;
		probe->retry_file = NULL;
		/*
		 * probe_prune(), ours or a racing one, may have queued it
		 * again; it must not stay queued without the reference.
		 * Queueing happens under cons_rwsem too, so this is exact.
		 */
		spin_lock(&probe_retry_lock);
		list_del_init(&probe->retry_node);
		spin_unlock(&probe_retry_lock);
	}
	up_write(&probe->cons_rwsem);
	if (pinned) {
		fput(pinned);
		probe_drop(probe);
	}
}

/* Take the queued probes one at a time; a failure queues one again. */
static void probe_retry_removals(struct work_struct *work)
{
	LIST_HEAD(batch);
	struct uprobe *probe;

	spin_lock(&probe_retry_lock);
	list_splice_init(&probe_retry_list, &batch);
	for (;;) {
		probe = list_first_entry_or_null(&batch, struct uprobe,
						 retry_node);
		if (!probe)
			break;
		list_del_init(&probe->retry_node);
		spin_unlock(&probe_retry_lock);
		probe_retry_removal(probe);
		spin_lock(&probe_retry_lock);
	}
	spin_unlock(&probe_retry_lock);
}

/* Remove @con from @probe and the breakpoints nobody wants any more. */
static void probe_drop_consumer(struct uprobe *probe, struct uprobe_consumer *con)
{
	lockdep_assert_held_write(&probe->cons_rwsem);
	list_del_rcu(&con->cons_node);
	probe_prune(probe);
}

/* Refuse what can never be probed before anything is allocated. */
static int probe_check_args(struct inode *inode, loff_t offset,
			    loff_t ref_ctr_offset,
			    const struct uprobe_consumer *con)
{
	struct address_space *mapping = inode->i_mapping;
	bool offsets_ok = offset >= 0 && offset < i_size_read(inode) &&
			  IS_ALIGNED(offset, UPROBE_SWBP_INSN_SIZE) &&
			  ref_ctr_offset >= 0 &&
			  IS_ALIGNED(ref_ctr_offset, sizeof(short));

	if (!offsets_ok || !(con->handler || con->ret_handler))
		return -EINVAL;
	/* The original instruction must be readable from the page cache. */
	return shmem_mapping(mapping) || mapping->a_ops->read_folio ? 0 : -EIO;
}

/**
 * uprobe_register - set a breakpoint at a file offset and attach a consumer
 * @inode: the file; the caller keeps a reference to it (holds its path, say)
 *	   until it unregisters @con
 * @offset: file offset of the first byte of the instruction to probe
 * @ref_ctr_offset: file offset of a USDT semaphore; must agree with any
 *	   earlier registration at the same @offset
 * @con: the consumer; ->handler and/or ->ret_handler must be set
 *
 * On success the breakpoint is installed in every process that currently
 * maps @offset privately and executably and that @con wants (@con->filter is
 * NULL or true for its mm), and it will be installed in every such mapping
 * created later.  Registration is all or nothing: if the instruction can
 * not be probed or installing fails anywhere, what was installed for @con is
 * removed again and the error returned.
 *
 * Handlers run in the context of the task that hit the probe, may sleep,
 * and must not call uprobe_register() or uprobe_unregister_*() on the same
 * probe.  May sleep; must not be called with mmap_lock held.
 *
 * Return: the probe, to be passed to uprobe_apply() and
 * uprobe_unregister_nosync(), or an ERR_PTR().
 */
struct uprobe *uprobe_register(struct inode *inode, loff_t offset,
			       loff_t ref_ctr_offset, struct uprobe_consumer *con)
{
	struct uprobe *probe;
	int ret;

	ret = probe_check_args(inode, offset, ref_ctr_offset, con);
	if (ret)
		return ERR_PTR(ret);
retry:
	probe = probe_get_or_create(inode, offset, ref_ctr_offset);
	if (IS_ERR(probe))
		return probe;

	down_write(&probe->cons_rwsem);
	/* Lost a race with the last unregister of this probe: start over. */
	if (unlikely(probe_unlinked(probe))) {
		up_write(&probe->cons_rwsem);
		probe_drop(probe);
		goto retry;
	}

	list_add_rcu(&con->cons_node, &probe->cons_head);
	percpu_down_write(&probe_fork_sem);
	ret = probe_sync_all_mms(probe, con);
	percpu_up_write(&probe_fork_sem);
	if (ret)
		probe_drop_consumer(probe, con);
	up_write(&probe->cons_rwsem);

	if (ret) {
		/* A handler may still be running with @con; the caller frees it. */
		synchronize_srcu(&probe_srcu);
		probe_drop(probe);
		return ERR_PTR(ret);
	}
	return probe;
}
EXPORT_SYMBOL_GPL(uprobe_register);

/**
 * uprobe_unregister_nosync - detach a consumer from its probe
 * @probe: the value uprobe_register() returned for @con
 * @con: the consumer
 *
 * Removes the breakpoint from every process no remaining consumer wants
 * (from all of them if @con was the last) and gives back the reference
 * uprobe_register() returned; @probe must not be used afterwards.  A
 * handler of @con may still be running on another CPU: call
 * uprobe_unregister_sync() before freeing @con.  Several unregistrations may
 * share one uprobe_unregister_sync().  May sleep.
 */
void uprobe_unregister_nosync(struct uprobe *probe, struct uprobe_consumer *con)
{
	down_write(&probe->cons_rwsem);
	probe_drop_consumer(probe, con);
	up_write(&probe->cons_rwsem);
	probe_drop(probe);
}
EXPORT_SYMBOL_GPL(uprobe_unregister_nosync);

/**
 * uprobe_unregister_sync - wait for handlers of removed consumers
 *
 * After this returns, no handler of a consumer removed by an earlier
 * uprobe_unregister_nosync() is running or will run, and the consumers may
 * be freed.  May sleep for an SRCU grace period.
 */
void uprobe_unregister_sync(void)
{
	synchronize_srcu(&probe_srcu);
}
EXPORT_SYMBOL_GPL(uprobe_unregister_sync);

/**
 * uprobe_unregister_sync_start - start waiting for handlers, without blocking
 *
 * For callers that batch unregistrations and wait later: the wait that
 * uprobe_unregister_sync() would do for the consumers removed so far is
 * started, and is over once uprobe_unregister_sync_done() says so.
 *
 * Return: a cookie for uprobe_unregister_sync_done().
 */
unsigned long uprobe_unregister_sync_start(void)
{
	return start_poll_synchronize_srcu(&probe_srcu);
}
EXPORT_SYMBOL_GPL(uprobe_unregister_sync_start);

/**
 * uprobe_unregister_sync_done - has a wait started earlier ended?
 * @cookie: what uprobe_unregister_sync_start() returned
 *
 * Return: true if no handler of a consumer removed before the matching
 * uprobe_unregister_sync_start() can still be running.
 */
bool uprobe_unregister_sync_done(unsigned long cookie)
{
	return poll_state_synchronize_srcu(&probe_srcu, cookie);
}
EXPORT_SYMBOL_GPL(uprobe_unregister_sync_done);

/**
 * uprobe_apply - re-evaluate a consumer's filter after it changed
 * @probe: the value uprobe_register() returned for @con
 * @con: a registered consumer of @probe
 * @add: true if @con may now want more processes, false if fewer
 *
 * With @add, installs the breakpoint where @con->filter now says yes; without,
 * removes it where no consumer of @probe wants it any more.  May sleep.
 *
 * Return: 0, -ENOENT if @con is not registered on @probe, or the first
 * install/removal error (what succeeded is left in place).
 */
int uprobe_apply(struct uprobe *probe, struct uprobe_consumer *con, bool add)
{
	struct uprobe_consumer *it;
	int ret = -ENOENT;

	down_write(&probe->cons_rwsem);
	list_for_each_entry(it, &probe->cons_head, cons_node) {
		if (it == con) {
			ret = 0;
			break;
		}
	}
	if (!ret) {
		percpu_down_write(&probe_fork_sem);
		ret = probe_sync_all_mms(probe, add ? con : NULL);
		percpu_up_write(&probe_fork_sem);
	}
	up_write(&probe->cons_rwsem);
	return ret;
}
EXPORT_SYMBOL_GPL(uprobe_apply);

/* ------------------------------------------------------------------ */
/* mmap, munmap and fork hooks.                                         */

/**
 * uprobe_mmap - install breakpoints in a new or changed file mapping
 * @vma: the vma, already linked in its file's i_mmap
 *
 * Called with mmap_lock held for writing.  Installs every probe of the
 * file whose offset falls in @vma and that some consumer wants for this mm.
 *
 * Return: 0 or the first error (the mm callers carry on regardless).
 */
int uprobe_mmap(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct uprobe *probe;
	struct inode *inode;
	loff_t pos, end;
	int ret = 0, err, idx;
	bool wanted;

	/* Entries for this mm are only added under its mmap_lock, held here. */
	if (!list_empty(&usdt_pending_list) && vma->vm_file &&
	    (vma->vm_flags & VM_WRITE))
		usdt_apply_deferred(vma);

	/* Unlocked peek: a register racing with us walks i_mmap after us. */
	if (data_race(RB_EMPTY_ROOT(&probe_tree)) || !vma_probeable(vma))
		return 0;

	inode = file_inode(vma->vm_file);
	pos = vma_addr_to_foff(vma, vma->vm_start);
	end = vma_addr_to_foff(vma, vma->vm_end);

	while ((probe = probe_lookup_range(inode, pos, end))) {
		pos = probe->file_off + 1;

		idx = srcu_read_lock(&probe_srcu);
		wanted = probe_wanted_by(probe, mm);
		srcu_read_unlock(&probe_srcu, idx);

		if (wanted) {
			err = bp_install(probe, mm, vma,
					 vma_foff_to_addr(vma, probe->file_off));
			if (err && !ret)
				ret = err;
		}
		/* Not the last reference: vma->vm_file pins the inode anyway. */
		probe_drop(probe);
	}
	return ret;
}

/* Is any probe of @vma's file at a user address in [@start, @end)? */
static bool vma_range_has_probe(struct vm_area_struct *vma,
				unsigned long start, unsigned long end)
{
	struct uprobe *probe;

	probe = probe_lookup_range(file_inode(vma->vm_file),
				   vma_addr_to_foff(vma, start),
				   vma_addr_to_foff(vma, end));
	if (!probe)
		return false;
	probe_drop(probe);
	return true;
}

/**
 * uprobe_munmap - note that a file mapping (or part of it) goes away
 * @vma: the vma
 * @start: start of the range being unmapped
 * @end: end of the range
 *
 * The breakpoints go with the pages; only remember that MMF_HAS_UPROBES
 * may now be stale, so that the next miss recomputes it.
 */
void uprobe_munmap(struct vm_area_struct *vma, unsigned long start,
		   unsigned long end)
{
	unsigned long *mmf = &vma->vm_mm->flags;

	/*
	 * Nothing to note if the mm never had a probe or is already marked
	 * for a recount.
	 */
	if (!test_bit(MMF_HAS_UPROBES, mmf) || test_bit(MMF_RECALC_UPROBES, mmf))
		return;
	/* Unlocked peek at the tree: it only saves the lookup. */
	if (data_race(RB_EMPTY_ROOT(&probe_tree)) || !vma_may_hold_bp(vma))
		return;
	if (vma_range_has_probe(vma, start, end))
		set_bit(MMF_RECALC_UPROBES, mmf);
}

/* Clear MMF_HAS_UPROBES if no vma of @mm maps any probe; mmap_lock held. */
static void mm_recheck_has_probes(struct mm_struct *mm)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct vm_area_struct *vma;

	for_each_vma(vmi, vma) {
		if (vma_may_hold_bp(vma) &&
		    vma_range_has_probe(vma, vma->vm_start, vma->vm_end))
			return;
	}
	clear_bit(MMF_HAS_UPROBES, &mm->flags);
}

/**
 * uprobe_dup_mmap - carry the uprobes state over to a forked mm
 * @oldmm: the parent's mm
 * @newmm: the child's mm
 *
 * The child got copies of the parent's breakpoint pages with its page
 * tables; the XOL vma is VM_DONTCOPY, so the child starts without one.
 */
void uprobe_dup_mmap(struct mm_struct *oldmm, struct mm_struct *newmm)
{
	/* Unlike the parent, the child has no XOL vma: recount on a miss. */
	if (test_bit(MMF_HAS_UPROBES, &oldmm->flags)) {
		mm_note_probes(newmm, false);
		mm_note_probes(newmm, true);
	}
}

/* ------------------------------------------------------------------ */
/* XOL slots: pure bitmap logic, testable without a process.            */

static void xol_bitmap_reset(struct xol_bitmap *s)
{
	bitmap_zero(s->map, XOL_SLOTS_PER_PAGE);
	set_bit(XOL_TRAMPOLINE_SLOT, s->map);
	atomic_set(&s->used, 1);
}

static bool xol_bitmap_full(struct xol_bitmap *s)
{
	return atomic_read(&s->used) >= XOL_SLOTS_PER_PAGE;
}

/* Returns the lowest free slot, now taken, or -ENOSPC. */
static int xol_bitmap_claim(struct xol_bitmap *s)
{
	unsigned int slot;

	for (;;) {
		slot = find_first_zero_bit(s->map, XOL_SLOTS_PER_PAGE);
		if (slot >= XOL_SLOTS_PER_PAGE)
			return -ENOSPC;
		if (!test_and_set_bit(slot, s->map)) {
			atomic_inc(&s->used);
			return slot;
		}
	}
}

/* Returns false for the trampoline slot, out of range or not-taken slots. */
static bool xol_bitmap_unclaim(struct xol_bitmap *s, int slot)
{
	if (slot <= XOL_TRAMPOLINE_SLOT || slot >= XOL_SLOTS_PER_PAGE)
		return false;
	if (!test_and_clear_bit(slot, s->map))
		return false;
	atomic_dec(&s->used);
	return true;
}

static unsigned long xol_slot_to_addr(unsigned long base, int slot)
{
	return base + slot * UPROBE_XOL_SLOT_BYTES;
}

/* Slot number of @vaddr in the page at @base, or -EINVAL. */
static int xol_addr_to_slot(unsigned long base, unsigned long vaddr)
{
	unsigned long off = vaddr - base;

	if (vaddr < base || off >= PAGE_SIZE || off % UPROBE_XOL_SLOT_BYTES)
		return -EINVAL;
	return off / UPROBE_XOL_SLOT_BYTES;
}

/* ------------------------------------------------------------------ */
/* The per-mm XOL area.                                                 */

/*
 * The area is looked up through the mm rather than through the vma,
 * because the vma may outlive the area while the mm is torn down.  Once
 * user space has unmapped the vma there is nothing left to fault on: the
 * task then gets SIGSEGV in a slot or at the trampoline, as for any other
 * page it unmapped.
 */
static vm_fault_t xol_page_fault(const struct vm_special_mapping *sm,
				 struct vm_area_struct *vma, struct vm_fault *vmf)
{
	struct xol_area *area = READ_ONCE(vma->vm_mm->uprobes_state.xol_area);

	if (!area || vmf->pgoff)
		return VM_FAULT_SIGBUS;
	vmf->page = area->insn_page;
	get_page(vmf->page);
	return 0;
}

/*
 * Slot addresses being stepped and the trampoline address in pending
 * return frames are absolute, so the page must stay where it was mapped.
 */
static int xol_page_mremap(const struct vm_special_mapping *sm,
			   struct vm_area_struct *new_vma)
{
	return -EINVAL;
}

static const struct vm_special_mapping xol_special_map = {
	.name	= "[uprobes]",
	.fault	= xol_page_fault,
	.mremap	= xol_page_mremap,
};

/*
 * A free page for the XOL area of current->mm: @hint if it is free, else
 * the highest free page below TASK_SIZE.  get_unmapped_area() alone is not
 * enough: outside a compat system call it searches the whole 64-bit space
 * even for a 32-bit task, which could not reach the page.
 */
static unsigned long xol_find_vaddr(unsigned long hint, bool exact,
				    unsigned long len)
{
	struct vm_unmapped_area_info info = {
		.flags		= VM_UNMAPPED_AREA_TOPDOWN,
		.length		= len,
		.low_limit	= max_t(unsigned long, PAGE_SIZE,
					PAGE_ALIGN(mmap_min_addr)),
		.high_limit	= TASK_SIZE,
	};
	unsigned long vaddr = get_unmapped_area(NULL, hint, len, 0, 0);

	if (!IS_ERR_VALUE(vaddr) && vaddr == hint)
		return vaddr;
	if (exact)
		return -EBUSY;
	if (!IS_ERR_VALUE(vaddr) && vaddr <= TASK_SIZE - len)
		return vaddr;
	return vm_unmapped_area(&info);
}

static void boost_area_destroy(struct boost_area *ba)
{
	unsigned int i;

	for (i = 0; i < BOOST_PAGES; i++) {
		if (ba->pages[i])
			put_page(ba->pages[i]);
	}
	mutex_destroy(&ba->lock);
	kvfree(ba);
}

static void xol_area_destroy(struct xol_area *area)
{
	if (area->boost)
		boost_area_destroy(area->boost);
	put_page(area->insn_page);
	kfree(area);
}

/*
 * Create and map the XOL area of current->mm.  @hint is the preferred
 * address; with @exact it must be honoured (a forked child needs the
 * trampoline where its inherited return addresses point).
 */
static struct xol_area *xol_area_setup(unsigned long hint, bool exact)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct xol_area *area;
	unsigned long vaddr, size;
	void *insns;
	int ret;

	area = kzalloc(sizeof(*area), GFP_KERNEL);
	if (!area)
		return NULL;
	area->insn_page = alloc_page(GFP_HIGHUSER | __GFP_ZERO);
	if (!area->insn_page) {
		kfree(area);
		return NULL;
	}
	xol_bitmap_reset(&area->bits);
	init_waitqueue_head(&area->slot_wait);

	insns = arch_uprobe_trampoline(&size);
	if (WARN_ON_ONCE(size > UPROBE_XOL_SLOT_BYTES))
		goto fail;
	memcpy_to_page(area->insn_page, XOL_TRAMPOLINE_SLOT * UPROBE_XOL_SLOT_BYTES,
		       insns, size);

	if (mmap_write_lock_killable(mm))
		goto fail;
	/* Another thread may have won the race. */
	if (mm->uprobes_state.xol_area) {
		mmap_write_unlock(mm);
		xol_area_destroy(area);
		return mm->uprobes_state.xol_area;
	}

	vaddr = xol_find_vaddr(hint, exact, PAGE_SIZE);
	ret = IS_ERR_VALUE(vaddr);
	if (!ret) {
		vma = _install_special_mapping(mm, vaddr, PAGE_SIZE,
					       VM_EXEC | VM_MAYEXEC |
					       VM_DONTCOPY | VM_IO,
					       &xol_special_map);
		ret = IS_ERR(vma);
	}
	if (ret) {
		mmap_write_unlock(mm);
		goto fail;
	}
	area->base = vaddr;
	/* Readers (the hit path, perf callchains) look without the lock. */
	smp_store_release(&mm->uprobes_state.xol_area, area);
	mmap_write_unlock(mm);
	return area;
fail:
	xol_area_destroy(area);
	return NULL;
}

static struct xol_area *xol_area_current(void)
{
	struct xol_area *area;

	/* Pairs with smp_store_release() in xol_area_setup(). */
	area = smp_load_acquire(&current->mm->uprobes_state.xol_area);
	if (area)
		return area;
	return xol_area_setup(arch_uprobe_get_xol_area(), false);
}

/**
 * uprobe_clear_state - free the uprobes state of an mm being destroyed
 * @mm: the mm; no task uses it any more
 *
 * Frees the XOL area and forgets USDT counter increments still waiting
 * for their mapping.
 */
void uprobe_clear_state(struct mm_struct *mm)
{
	struct xol_area *area = mm->uprobes_state.xol_area;
	struct usdt_pending *d, *tmp;

	/* Entries of @mm were added before its last mmput(): visible here. */
	if (!list_empty(&usdt_pending_list)) {
		mutex_lock(&usdt_pending_lock);
		list_for_each_entry_safe(d, tmp, &usdt_pending_list, link) {
			if (d->mm == mm)
				usdt_pending_free(d);
		}
		mutex_unlock(&usdt_pending_lock);
	}

	if (!area)
		return;
	mm->uprobes_state.xol_area = NULL;
	xol_area_destroy(area);
}

/*
 * Get a slot for current and copy @probe's instruction into it.  Waits
 * (killably) while all slots are taken.  Returns the slot address or 0.
 */
static unsigned long xol_stage_insn(struct uprobe *probe)
{
	struct xol_area *area = xol_area_current();
	unsigned long vaddr;
	int slot;

	if (!area)
		return 0;
	for (;;) {
		slot = xol_bitmap_claim(&area->bits);
		if (slot >= 0)
			break;
		if (wait_event_killable(area->slot_wait, !xol_bitmap_full(&area->bits)))
			return 0;
	}
	vaddr = xol_slot_to_addr(area->base, slot);
	/* Writes our own page: harmless even if user space unmapped it. */
	arch_uprobe_copy_ixol(area->insn_page, vaddr, &probe->ainsn.ixol,
			      sizeof(probe->ainsn.ixol));
	return vaddr;
}

static void xol_release_task_slot(struct task_struct *t)
{
	struct uprobe_task *ut = t->utask;
	struct xol_area *area;

	if (!t->mm || !ut->xol_vaddr)
		return;
	area = t->mm->uprobes_state.xol_area;
	/* Pairs with the barrier in prepare_to_wait() of xol_stage_insn(). */
	if (area && xol_bitmap_unclaim(&area->bits,
				       xol_addr_to_slot(area->base, ut->xol_vaddr)) &&
	    wq_has_sleeper(&area->slot_wait))
		wake_up(&area->slot_wait);
	ut->xol_vaddr = 0;
}

/**
 * uprobe_get_trampoline_vaddr - address of current's return trampoline
 *
 * Lockless, usable from perf's NMI callchain code.
 *
 * Return: the address, or UPROBE_NO_TRAMPOLINE_VADDR if current->mm has
 * no XOL area.
 */
unsigned long uprobe_get_trampoline_vaddr(void)
{
	struct xol_area *area;

	if (!current->mm)
		return UPROBE_NO_TRAMPOLINE_VADDR;
	area = READ_ONCE(current->mm->uprobes_state.xol_area);
	if (!area)
		return UPROBE_NO_TRAMPOLINE_VADDR;
	return xol_slot_to_addr(area->base, XOL_TRAMPOLINE_SLOT);
}

/* ------------------------------------------------------------------ */
/* Per-task state.                                                      */

/*
 * What the core keeps per task: struct uprobe_task, whose layout
 * <linux/uprobes.h> fixes, and a pool of return instances.  A task's
 * instances go back to its pool when they are done with, so a return probe
 * hit allocates only while the task reaches a depth of pending instances it
 * never reached before; the pool never holds more than that peak (at most
 * MAX_URETPROBE_DEPTH) and is freed with the task.
 */
/*
 * @replay_vaddr, @replay_regs: a hit whose handlers ran but whose
 * instruction could not be executed (no XOL slot could be had, or a fix-up
 * after the step must be retried) puts the task back at the breakpoint.
 * The trap that follows is the same hit again: its handlers are not run
 * twice, nor is a second return instance pushed.  It is recognised by the
 * address and all the registers, which a signal handler that returns
 * restores and a new execution of the instruction hardly repeats; any
 * other hit forgets it.
 */
struct probe_task {
	struct uprobe_task	ut;
	struct return_instance	*spare;		/* linked by ->next */
	unsigned long		replay_vaddr;
	struct pt_regs		replay_regs;
	bool			boost_hold;	/* see boost_deny_signal() */
};

static struct probe_task *to_probe_task(struct uprobe_task *ut)
{
	return container_of(ut, struct probe_task, ut);
}

static struct uprobe_task *utask_alloc(void)
{
	struct probe_task *pt = kzalloc(sizeof(*pt), GFP_KERNEL);

	return pt ? &pt->ut : NULL;
}

static void utask_free(struct uprobe_task *ut)
{
	struct probe_task *pt = to_probe_task(ut);
	struct return_instance *rinst;

	while ((rinst = pt->spare)) {
		pt->spare = rinst->next;
		kfree(rinst);
	}
	kfree(pt);
}

static struct uprobe_task *task_probe_state(void)
{
	if (!current->utask)
		current->utask = utask_alloc();
	return current->utask;
}

static void probe_task_warn(struct task_struct *t, const char *msg)
{
	pr_warn_ratelimited("%s[%d]: %s\n", t->comm, task_pid_nr(t), msg);
}

/* Take the newest pending return instance off current's list. */
static struct return_instance *rinst_pop(struct uprobe_task *ut)
{
	struct return_instance *rinst = ut->return_instances;

	if (rinst) {
		ut->return_instances = rinst->next;
		ut->depth--;
	}
	return rinst;
}

/* Done with @rinst, an instance of @ut's: into @ut's pool. */
static void rinst_release(struct uprobe_task *ut, struct return_instance *rinst)
{
	struct probe_task *pt = to_probe_task(ut);

	probe_drop(rinst->uprobe);
	rinst->next = pt->spare;
	pt->spare = rinst;
}

/**
 * uprobe_free_utask - free a task's uprobes state
 * @t: the task, current, in mm_release() (exit or exec)
 *
 * Releases a held XOL slot, pending return instances and the reference to
 * a probe being stepped.
 */
void uprobe_free_utask(struct task_struct *t)
{
	struct uprobe_task *ut = t->utask;
	struct return_instance *rinst;

	if (!ut)
		return;
	xol_release_task_slot(t);
	while ((rinst = rinst_pop(ut)))
		rinst_release(ut, rinst);
	if (ut->active_uprobe)
		probe_drop(ut->active_uprobe);
	t->utask = NULL;
	utask_free(ut);
}

/* task_work of a forked child: map the XOL area where the parent had it. */
static void xol_fork_work(struct callback_head *work)
{
	struct uprobe_task *ut = current->utask;

	if (current->flags & PF_EXITING)
		return;
	if (!xol_area_setup(ut->dup_xol_addr, true))
		probe_task_warn(current, "no XOL page could be mapped in the child");
}

/*
 * A child's uprobe_task holding copies of @parent's pending return
 * instances, in the same order, or NULL if memory ran out.  Copies are
 * made newest first on to a stack, which leaves them oldest on top;
 * moving them over one by one turns them the right way round again.
 */
static struct uprobe_task *utask_fork_copy(const struct uprobe_task *parent)
{
	struct return_instance *stack = NULL, *rinst;
	const struct return_instance *src;
	struct uprobe_task *child;

	child = utask_alloc();
	if (!child)
		return NULL;
	for (src = parent->return_instances; src; src = src->next) {
		rinst = kmemdup(src, sizeof(*src), GFP_KERNEL);
		if (!rinst)
			goto nomem;
		probe_hold(rinst->uprobe);
		rinst->next = stack;
		stack = rinst;
	}
	while (stack) {
		rinst = stack;
		stack = rinst->next;
		rinst->next = child->return_instances;
		child->return_instances = rinst;
		child->depth++;
	}
	return child;

nomem:
	while ((rinst = stack)) {
		stack = rinst->next;
		rinst_release(child, rinst);
	}
	utask_free(child);
	return NULL;
}

/**
 * uprobe_copy_process - set up the uprobes state of a new task
 * @t: the new task
 * @flags: its clone flags
 *
 * A new task starts with no uprobe_task.  A child that returns through
 * the parent's frames (fork, vfork) needs the parent's pending return
 * instances; a child with its own mm also needs the trampoline mapped at
 * the same address, done from task_work before it returns to user space.
 */
void uprobe_copy_process(struct task_struct *t, unsigned long flags)
{
	struct uprobe_task *parent = current->utask;
	struct xol_area *area;

	t->utask = NULL;
	if (!parent || !parent->return_instances)
		return;
	/* A new thread runs on a stack of its own: nothing to return to. */
	if ((flags & (CLONE_VM | CLONE_VFORK)) == CLONE_VM)
		return;

	t->utask = utask_fork_copy(parent);
	if (!t->utask) {
		probe_task_warn(t, "pending return probes not copied to the child");
		return;
	}
	/* vfork shares the parent's mm, and with it the XOL page. */
	area = (flags & CLONE_VM) ? NULL : current->mm->uprobes_state.xol_area;
	if (area) {
		t->utask->dup_xol_addr = area->base;
		init_task_work(&t->utask->dup_xol_work, xol_fork_work);
		if (task_work_add(t, &t->utask->dup_xol_work, TWA_RESUME))
			probe_task_warn(t, "XOL setup of the child not scheduled");
	}
}

/* ------------------------------------------------------------------ */
/* Return probes.                                                       */

/*
 * Forget instances whose frames are gone, which happens when user space
 * unwinds the stack without returning (longjmp(), exceptions).
 */
static void rinst_prune(struct uprobe_task *ut, enum rp_check ctx,
			struct pt_regs *regs)
{
	while (ut->return_instances &&
	       !arch_uretprobe_is_alive(ut->return_instances, ctx, regs))
		rinst_release(ut, rinst_pop(ut));
}

/*
 * An instance of @probe for the function entered at @bp_addr, unlinked,
 * taken from @ut's pool when it has one.  NULL if memory ran out or the
 * probe is going away (see probe_try_hold()).
 */
static struct return_instance *rinst_new(struct uprobe_task *ut,
					 struct uprobe *probe,
					 unsigned long bp_addr,
					 struct pt_regs *regs)
{
	struct probe_task *pt = to_probe_task(ut);
	struct return_instance *rinst = pt->spare;

	if (rinst)
		pt->spare = rinst->next;
	else
		rinst = kmalloc(sizeof(*rinst), GFP_KERNEL);
	if (!rinst)
		return NULL;
	*rinst = (struct return_instance) {
		.uprobe	= probe_try_hold(probe),
		.func	= bp_addr,
		.stack	= user_stack_pointer(regs),
	};
	if (!rinst->uprobe) {
		rinst->next = pt->spare;
		pt->spare = rinst;
		return NULL;
	}
	return rinst;
}

/*
 * Make the function just entered return to @tramp and link @rinst with
 * the address that it would have returned to.  Finding @tramp there
 * already means a tail call out of another probed function: @rinst then
 * returns wherever the newest live instance does.  Returns false if the
 * return address could not be replaced, or was forged.
 */
static bool rinst_link(struct uprobe_task *ut, struct return_instance *rinst,
		       unsigned long tramp, struct pt_regs *regs)
{
	unsigned long was = arch_uretprobe_hijack_return_addr(tramp, regs);

	if (was == -1)
		return false;
	rinst->chained = was == tramp;
	rinst_prune(ut, rinst->chained ? RP_CHECK_CHAIN_CALL : RP_CHECK_CALL,
		    regs);
	if (rinst->chained && !ut->return_instances) {
		probe_task_warn(current,
				"tail call into a probe with no frame pending, SIGSEGV");
		force_sig(SIGSEGV);
		return false;
	}
	rinst->orig_ret_vaddr = rinst->chained ?
				ut->return_instances->orig_ret_vaddr : was;
	rinst->next = ut->return_instances;
	ut->return_instances = rinst;
	ut->depth++;
	return true;
}

/*
 * Divert the return of the function just entered at @bp_addr through the
 * trampoline and remember where it really returns to.
 */
static void rinst_push(struct uprobe *probe, struct pt_regs *regs,
		       unsigned long bp_addr)
{
	struct uprobe_task *ut = current->utask;
	struct return_instance *rinst;
	struct xol_area *area;

	if (ut->depth >= MAX_URETPROBE_DEPTH) {
		pr_warn_ratelimited("%s[%d]: %d return probes pending, not adding one\n",
				    current->comm, task_pid_nr(current),
				    MAX_URETPROBE_DEPTH);
		return;
	}
	area = xol_area_current();
	rinst = area ? rinst_new(ut, probe, bp_addr, regs) : NULL;
	if (rinst && !rinst_link(ut, rinst, xol_slot_to_addr(area->base,
							     XOL_TRAMPOLINE_SLOT),
				 regs))
		rinst_release(ut, rinst);
}

static void rinst_run_handlers(struct return_instance *rinst,
			       struct pt_regs *regs)
{
	struct uprobe *probe = rinst->uprobe, *live;
	struct uprobe_consumer *con;
	int idx;

	idx = srcu_read_lock(&probe_srcu);
	/*
	 * The return handlers are those registered when the function returns,
	 * as with 6.12.  If every consumer left while the task was inside,
	 * the instance's probe has left the tree and the consumers that came
	 * since are on a new probe at the same place: run theirs.  (@host is
	 * only compared, never dereferenced.)
	 */
	if (probe_unlinked(probe)) {
		live = probe_find_rcu(probe->host, probe->file_off);
		if (live)
			probe = live;
	}
	list_for_each_entry_srcu(con, &probe->cons_head, cons_node,
				 srcu_read_lock_held(&probe_srcu)) {
		if (con->ret_handler)
			con->ret_handler(con, rinst->func, regs);
	}
	srcu_read_unlock(&probe_srcu, idx);
}

/**
 * uprobe_handle_trampoline - a task returned through the trampoline
 * @regs: user registers; the IP is set to the real return address
 *
 * The function that returned popped the trampoline's address, so the stack
 * pointer is now above its instance's slot and arch_uretprobe_is_alive()
 * says RP_CHECK_RET of it: its frame is gone.  Newer instances whose frames
 * are gone as well were skipped by a longjmp() and are dropped silently;
 * the oldest dead instance is the one returning, together with the
 * instances chained to it by tail calls, which share its stack slot.  Their
 * return handlers run, newest first, and the task resumes at the original
 * return address.  A task arriving here without such an instance gets
 * SIGILL.
 */
void uprobe_handle_trampoline(struct pt_regs *regs)
{
	struct uprobe_task *ut = current->utask;
	struct return_instance *ret = NULL, *rinst, *group;

	/* Find the oldest instance whose frame is gone. */
	for (rinst = ut ? ut->return_instances : NULL; rinst; rinst = rinst->next) {
		if (arch_uretprobe_is_alive(rinst, RP_CHECK_RET, regs))
			break;
		ret = rinst;
	}
	if (!ret) {
		probe_task_warn(current,
				"return trampoline reached with no frame pending, SIGILL");
		force_sig(SIGILL);
		return;
	}

	/* Frames below the returning one were unwound without returning. */
	while (ut->return_instances->stack != ret->stack)
		rinst_release(ut, rinst_pop(ut));

	/*
	 * The returning instance and those chained to it by tail calls (all
	 * of them share its stack slot) leave the list before any handler
	 * runs, so that a handler unwinding the user stack (perf callchains)
	 * matches the trampolines in the frames above with their own
	 * instances.  The group is then run newest first.
	 */
	group = ut->return_instances;
	for (rinst = group; rinst != ret; rinst = rinst->next)
		ut->depth--;
	ut->depth--;
	ut->return_instances = ret->next;
	ret->next = NULL;

	instruction_pointer_set(regs, ret->orig_ret_vaddr);
	while ((rinst = group)) {
		group = rinst->next;
		rinst_run_handlers(rinst, regs);
		rinst_release(ut, rinst);
	}
}

/* ------------------------------------------------------------------ */
/* Breakpoint hits.                                                     */

/**
 * uprobe_pre_sstep_notifier - a user breakpoint trapped
 * @regs: user registers
 *
 * Called from the architecture's die notifier.  Claims the trap when
 * current->mm may have uprobes, return instances are pending or current
 * runs a held boosted copy, and defers the work to uprobe_notify_resume().
 *
 * Return: 1 if the trap is ours to handle, 0 to let it be a SIGTRAP.
 */
int uprobe_pre_sstep_notifier(struct pt_regs *regs)
{
	struct uprobe_task *ut = current->utask;
	struct mm_struct *mm = current->mm;
	bool ours = ut && (ut->return_instances || to_probe_task(ut)->boost_hold);

	/*
	 * Without probes in the mm only the trampoline, or the breakpoint
	 * after a held boosted instruction, can be ours.
	 */
	if (!mm || !(ours || test_bit(MMF_HAS_UPROBES, &mm->flags)))
		return 0;
	set_thread_flag(TIF_UPROBE);
	return 1;
}

/* current's uprobe_task if it is in the middle of an out-of-line step. */
static struct uprobe_task *ut_stepping(void)
{
	struct uprobe_task *ut = current->utask;

	return ut && ut->active_uprobe ? ut : NULL;
}

/**
 * uprobe_post_sstep_notifier - a user single-step trap
 * @regs: user registers
 *
 * Return: 1 if current was stepping a probed instruction out of line.
 */
int uprobe_post_sstep_notifier(struct pt_regs *regs)
{
	struct uprobe_task *ut = current->mm ? ut_stepping() : NULL;

	if (!ut || ut->state != UTASK_SSTEP)
		return 0;
	ut->state = UTASK_SSTEP_ACK;
	set_thread_flag(TIF_UPROBE);
	return 1;
}

/* 1: a breakpoint is at @vaddr, 0: not, negative: could not read it. */
static int bp_trap_at(struct mm_struct *mm, unsigned long vaddr)
{
	uprobe_opcode_t opcode;
	int err = bp_peek_opcode(mm, vaddr, &opcode);

	return err ? err : is_trap_insn(&opcode);
}

/*
 * The analysed probe of @vma at @addr, without a reference (caller holds
 * probe_srcu).  A probe that was never analysed was never installed
 * either, so a trap there is not ours.
 */
static struct uprobe *bp_probe_in_vma(struct vm_area_struct *vma,
				      unsigned long addr)
{
	struct uprobe *probe;

	/* It trapped, so it executes, and may have been made writable since. */
	if (!vma_may_hold_bp(vma))
		return NULL;
	probe = probe_find_rcu(file_inode(vma->vm_file),
			       vma_addr_to_foff(vma, addr));
	/* Acquire pairs with the release in probe_analyse(). */
	return probe && smp_load_acquire(&probe->analysed) ? probe : NULL;
}

#ifdef CONFIG_PER_VMA_LOCK
/*
 * bp_probe_in_vma() without mmap_lock, for the common case of a hit on a
 * probe that is there: the VMA is looked up under RCU (VMAs are freed after
 * a grace period, files are SLAB_TYPESAFE_BY_RCU, and the inode pointer is
 * only compared, never followed), and what was read is trusted only if no
 * writer changed current->mm's layout meanwhile: mm_lock_seq is odd while
 * mmap_lock is held for writing and moves on when it is released.  NULL
 * means "look again under mmap_lock", not "no probe".
 */
static struct uprobe *bp_find_speculative(struct mm_struct *mm,
					  unsigned long bp_addr)
{
	struct vm_area_struct *vma;
	struct uprobe *probe = NULL;
	unsigned int seq;

	rcu_read_lock();
	seq = raw_read_seqcount(&mm->mm_lock_seq);
	if (!(seq & 1)) {
		vma = vma_lookup(mm, bp_addr);
		probe = vma ? bp_probe_in_vma(vma, bp_addr) : NULL;
		if (read_seqcount_retry(&mm->mm_lock_seq, seq))
			probe = NULL;
	}
	rcu_read_unlock();
	return probe;
}
#else
static struct uprobe *bp_find_speculative(struct mm_struct *mm,
					  unsigned long bp_addr)
{
	return NULL;
}
#endif

/*
 * Which probe trapped at @bp_addr in current->mm?  Caller holds
 * probe_srcu, which keeps the probe returned alive without a reference.
 * When none, *@trap says what is at that address now (see bp_trap_at()),
 * and a pending MMF_HAS_UPROBES recount is done while mmap_lock is held
 * anyway.
 */
static struct uprobe *bp_lookup_hit(unsigned long bp_addr, int *trap)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct uprobe *probe;

	probe = bp_find_speculative(mm, bp_addr);
	if (probe)
		return probe;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, bp_addr);
	probe = vma ? bp_probe_in_vma(vma, bp_addr) : NULL;
	if (!probe) {
		*trap = vma ? bp_trap_at(mm, bp_addr) : -EFAULT;
		if (test_and_clear_bit(MMF_RECALC_UPROBES, &mm->flags))
			mm_recheck_has_probes(mm);
	}
	mmap_read_unlock(mm);
	return probe;
}

/*
 * Every handler asked for its removal.  That is honoured only if no
 * consumer's filter still wants current's mm and the breakpoint really
 * came out; otherwise the request is ignored and the hit proceeds, as
 * UPROBE_HANDLER_REMOVE is documented to behave.  Returns true if the
 * breakpoint is gone, so that the original instruction can run in place.
 */
static bool bp_self_remove(struct uprobe *probe, unsigned long bp_addr)
{
	struct mm_struct *mm = current->mm;
	bool gone = false;

	down_read(&probe->cons_rwsem);
	if (!probe_wanted_by(probe, mm)) {
		mmap_write_lock(mm);
		if (vma_maps_probe(vma_lookup(mm, bp_addr), probe, bp_addr, false))
			gone = !bp_remove(probe, mm, bp_addr);
		mmap_write_unlock(mm);
	}
	up_read(&probe->cons_rwsem);
	return gone;
}

/* What the consumers' entry handlers made of one hit. */
struct bp_verdict {
	unsigned int	keep;		/* handlers that want the breakpoint */
	unsigned int	drop;		/* ... that returned UPROBE_HANDLER_REMOVE */
	bool		want_ret;	/* a consumer has a ->ret_handler */
};

/* Call every consumer's ->handler; caller holds probe_srcu. */
static void probe_call_handlers(struct uprobe *probe, struct pt_regs *regs,
				struct bp_verdict *v)
{
	struct uprobe_consumer *con;
	int rc;

	*v = (struct bp_verdict){};
	list_for_each_entry_srcu(con, &probe->cons_head, cons_node,
				 srcu_read_lock_held(&probe_srcu)) {
		rc = con->handler ? con->handler(con, regs) : 0;
		WARN_ONCE(rc & ~UPROBE_HANDLER_MASK,
			  "%ps() returned unknown bits %#x\n", con->handler, rc);
		if (rc == UPROBE_HANDLER_REMOVE)
			v->drop++;
		else
			v->keep++;
		v->want_ret |= !!con->ret_handler;
	}
}

/* Did every handler (at least one) ask for the breakpoint's removal? */
static bool bp_verdict_remove(const struct bp_verdict *v)
{
	return v->drop && !v->keep;
}

/*
 * Call the handlers and arm the return probe if a consumer has a
 * ->ret_handler.  Returns true if the original instruction must not be
 * executed for this hit: a handler moved the IP elsewhere, or all handlers
 * asked for removal and the breakpoint is gone (the task then simply
 * runs the original instruction from the restored text).
 */
static bool bp_run_handlers(struct uprobe *probe, struct pt_regs *regs,
			    unsigned long bp_addr)
{
	struct uprobe_task *ut = current->utask;
	struct bp_verdict v;

	/* Visible to handlers, e.g. for trace_uprobe's fetch args. */
	ut->auprobe = &probe->ainsn;
	ut->vaddr = bp_addr;

	probe_call_handlers(probe, regs, &v);
	if (v.want_ret && !bp_verdict_remove(&v))
		rinst_push(probe, regs, bp_addr);
	ut->auprobe = NULL;

	/* A handler redirected the task: the probed instruction is skipped. */
	if (instruction_pointer(regs) != bp_addr)
		return true;
	return bp_verdict_remove(&v) && bp_self_remove(probe, bp_addr);
}

/* current is back at the breakpoint it hit, whose handlers have run */
static void bp_replay_mark(struct uprobe_task *ut, struct pt_regs *regs)
{
	struct probe_task *pt = to_probe_task(ut);

	pt->replay_vaddr = instruction_pointer(regs);
	pt->replay_regs = *regs;
}

/**
 * arch_uprobe_regs_match - do two register sets hold the same user state?
 * @a: registers noted at one trap
 * @b: registers of a later trap
 *
 * Used to recognise a hit that is retried (see struct probe_task).  The
 * default compares all of &struct pt_regs; an architecture whose pt_regs
 * also records how the kernel was entered overrides it, since the trap
 * that notes a retry and the trap of the retry may differ in that.
 *
 * Return: true if @a and @b are the same user register state.
 */
bool __weak arch_uprobe_regs_match(const struct pt_regs *a,
				   const struct pt_regs *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Is this hit the one bp_replay_mark() noted?  Either way, forget it. */
static bool bp_replay_take(struct uprobe_task *ut, struct pt_regs *regs,
			   unsigned long bp_addr)
{
	struct probe_task *pt = to_probe_task(ut);
	bool replay;

	if (likely(!pt->replay_vaddr))
		return false;
	replay = pt->replay_vaddr == bp_addr &&
		 arch_uprobe_regs_match(&pt->replay_regs, regs);
	pt->replay_vaddr = 0;
	return replay;
}

/* The step is over, or never began: give back its slot, its state and its probe. */
static void xol_step_detach(struct uprobe_task *ut)
{
	struct uprobe *probe = ut->active_uprobe;

	xol_release_task_slot(current);
	ut->state = UTASK_RUNNING;
	ut->active_uprobe = NULL;
	probe_drop(probe);
}

/*
 * Point current at a copy of @probe's instruction in an XOL slot; the
 * task keeps the caller's reference to @probe until the step is over.
 * Called without probe_srcu: waiting for a slot may take long.  If
 * no slot can be had (the task was killed while waiting for one) or the
 * architecture refuses, the reference is dropped and the task re-executes
 * the breakpoint.
 */
static void xol_begin_step(struct uprobe *probe, struct pt_regs *regs,
			   unsigned long bp_addr)
{
	struct uprobe_task *ut = current->utask;

	/* Set again: a handler (trace_uprobe) may have reused ->vaddr. */
	ut->vaddr = bp_addr;
	ut->xol_vaddr = xol_stage_insn(probe);
	ut->active_uprobe = probe;
	if (ut->xol_vaddr && !arch_uprobe_pre_xol(&probe->ainsn, regs)) {
		ut->state = UTASK_SSTEP;
		return;
	}
	xol_step_detach(ut);
	instruction_pointer_set(regs, bp_addr);
	bp_replay_mark(ut, regs);
}

/*
 * current's signal handlers: only current itself replaces them (in exec),
 * so the pointer is stable here without rcu_read_lock().
 */
static struct sighand_struct *current_sighand(void)
{
	return rcu_dereference_protected(current->sighand, 1);
}

/*
 * Signals were held back while the step was in flight (see
 * xol_hold_signals()): let get_signal() see whatever is queued now.
 */
static void xol_release_signals(void)
{
	struct sighand_struct *sighand = current_sighand();

	spin_lock_irq(&sighand->siglock);
	recalc_sigpending();
	spin_unlock_irq(&sighand->siglock);
}

/* Let get_signal() pass for now: see xol_hold_signals(), boost_deny_signal() */
static void signals_hold(void)
{
	struct sighand_struct *sighand = current_sighand();

	spin_lock_irq(&sighand->siglock);
	clear_thread_flag(TIF_SIGPENDING);
	spin_unlock_irq(&sighand->siglock);
}

/* ------------------------------------------------------------------ */
/* Boosted slots: the instruction, then a jump back, without a trap.    */

/*
 * An instruction whose effect does not depend on its address can run from
 * a copy followed by a jump back to the next original instruction: the hit
 * then costs one trap instead of two, as kprobes' booster does in the
 * kernel.  The architecture says which instructions can
 * (arch_uprobe_boost_image()) and when (arch_uprobe_boost_now()).
 *
 * Nothing tells the kernel when a task has left a copy: it may be
 * preempted, signalled or stopped anywhere in it, long after the probe
 * went away.  So a slot, once written, never changes and is never reused
 * while the mm lives; its bytes are a function of its key, the probed
 * address and the instruction bytes, which a later probe at the same
 * address with the same instruction shares.  BOOST_SLOTS sites per mm:
 * beyond that, instructions are stepped.
 *
 * Each slot has a run half, [insn][jump back], which hits use, and a hold
 * half, [insn][breakpoint].  A signal that finds the task at the start of
 * the run half, the instruction not executed yet, does not take it there:
 * the task moves to the hold half and the signal waits for the breakpoint
 * after the instruction, as it waits for a single-step.  A signal that
 * finds the task after the instruction takes it at the next original
 * instruction.  Either way handlers, debuggers and core dumps see the task
 * at an original address, the instruction runs exactly once, and the probe
 * does not fire again.  An instruction that faults reports the fault at
 * the probed address, as a step would; if the program goes back there, the
 * instruction runs again, and so does the probe, as for a step.
 */

static struct boost_area *boost_area_of(struct mm_struct *mm)
{
	struct xol_area *area;

	if (!mm)
		return NULL;
	/* Pairs with the release in xol_area_setup(). */
	area = smp_load_acquire(&mm->uprobes_state.xol_area);
	if (!area)
		return NULL;
	/* Pairs with the release in boost_area_setup(). */
	return smp_load_acquire(&area->boost);
}

static vm_fault_t boost_page_fault(const struct vm_special_mapping *sm,
				   struct vm_area_struct *vma, struct vm_fault *vmf)
{
	struct boost_area *ba = boost_area_of(vma->vm_mm);

	if (!ba || vmf->pgoff >= BOOST_PAGES)
		return VM_FAULT_SIGBUS;
	vmf->page = ba->pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

/*
 * User space unmapped the area, maybe to map something else there: stop
 * sending hits to it and translating IPs in it.  Only the VMA at the
 * area's own address counts: a refused mremap() (xol_page_mremap()) closes
 * the new VMA it had set up, while the area stays where it was, in use.
 * Special mappings cannot be split, so that VMA is always the whole area.
 * vm_mm is the mm even at exit, when the area may already be gone.
 */
static void boost_area_close(const struct vm_special_mapping *sm,
			     struct vm_area_struct *vma)
{
	struct boost_area *ba = boost_area_of(vma->vm_mm);

	if (ba && vma->vm_start == ba->base)
		WRITE_ONCE(ba->gone, true);
}

static const struct vm_special_mapping boost_special_map = {
	.name	= "[uprobes]",
	.fault	= boost_page_fault,
	.mremap	= xol_page_mremap,	/* slot addresses are absolute */
	.close	= boost_area_close,
};

/* Create and map the boost area of current->mm, which has @area. */
static struct boost_area *boost_area_setup(struct xol_area *area)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct boost_area *ba;
	unsigned long vaddr;
	unsigned int i;

	/* Pinned for the mm's life: charged to its memory cgroup. */
	ba = kvzalloc(sizeof(*ba), GFP_KERNEL_ACCOUNT);
	if (!ba)
		goto nomem;
	mutex_init(&ba->lock);
	for (i = 0; i < BOOST_PAGES; i++) {
		ba->pages[i] = alloc_page(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT);
		if (!ba->pages[i])
			goto fail;
	}
	if (mmap_write_lock_killable(mm)) {
		boost_area_destroy(ba);
		return NULL;
	}
	if (area->boost) {		/* another thread was first */
		mmap_write_unlock(mm);
		boost_area_destroy(ba);
		return area->boost;
	}
	vaddr = xol_find_vaddr(0, false, BOOST_SIZE);
	vma = IS_ERR_VALUE(vaddr) ? ERR_PTR(vaddr) :
	      _install_special_mapping(mm, vaddr, BOOST_SIZE,
				       VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYEXEC |
				       VM_DONTCOPY | VM_IO, &boost_special_map);
	if (IS_ERR(vma)) {
		mmap_write_unlock(mm);
		goto fail;
	}
	ba->base = vaddr;
	/*
	 * Pairs with the acquire in boost_area_of().  Before the unlock: no
	 * fault can reach the vma without finding the area.
	 */
	smp_store_release(&area->boost, ba);
	mmap_write_unlock(mm);
	return ba;
fail:
	boost_area_destroy(ba);
nomem:
	/* Out of memory: this mm steps, rather than retry on every hit. */
	area->boost_failed = true;
	return NULL;
}

static unsigned long boost_slot_addr(struct boost_area *ba, unsigned int slot)
{
	return ba->base + slot * BOOST_SLOT_BYTES;
}

/*
 * The slot of @ba that runs @aup's instruction probed at @vaddr, or -1.
 * On every boosted hit: a hash walk, so that the cost does not grow with
 * the number of sites the mm has boosted.
 */
static int boost_find(struct boost_area *ba, struct arch_uprobe *aup,
		      unsigned long vaddr)
{
	unsigned int h = hash_long(vaddr, BOOST_HASH_BITS), n, e;

	for (n = 0; n < BOOST_HASH; n++, h = (h + 1) & (BOOST_HASH - 1)) {
		/* Pairs with the release in boost_add(): the slot is written. */
		e = smp_load_acquire(&ba->hash[h]);
		if (!e)
			break;
		if (ba->vaddr[e - 1] == vaddr &&
		    !memcmp(ba->key[e - 1], &aup->insn, BOOST_KEY_BYTES))
			return e - 1;
	}
	return -1;
}

/*
 * Make slot @slot, the next one, whose image is written, the one for the
 * instruction @key probed at @vaddr, @len bytes long.  Under @ba->lock.
 */
static void boost_publish(struct boost_area *ba, unsigned int slot,
			  unsigned long vaddr, unsigned int len, const void *key)
{
	unsigned int h = hash_long(vaddr, BOOST_HASH_BITS);

	ba->vaddr[slot] = vaddr;
	ba->ilen[slot] = len;
	memcpy(ba->key[slot], key, BOOST_KEY_BYTES);
	/* Pairs with the acquire in boost_slot_of(). */
	smp_store_release(&ba->nr, slot + 1);
	/* Fewer slots than entries: there is an empty one. */
	while (ba->hash[h])
		h = (h + 1) & (BOOST_HASH - 1);
	/* Pairs with the acquire in boost_find(). */
	smp_store_release(&ba->hash[h], slot + 1);
}

/* Write a slot for @aup's instruction at @vaddr; its number or -errno. */
static int boost_add(struct boost_area *ba, struct arch_uprobe *aup,
		     unsigned long vaddr)
{
	u8 image[BOOST_SLOT_BYTES];
	unsigned long uaddr;
	int slot, len;

	mutex_lock(&ba->lock);
	slot = boost_find(ba, aup, vaddr);
	if (slot >= 0)
		goto out;
	slot = -ENOSPC;
	if (ba->nr >= BOOST_SLOTS)
		goto out;
	memset(image, 0, sizeof(image));
	len = arch_uprobe_boost_image(aup, vaddr, image, image + BOOST_HALF, BOOST_HALF);
	if (len <= 0 || len >= BOOST_HALF) {
		slot = len < 0 ? len : -EINVAL;
		goto out;
	}

	slot = ba->nr;
	uaddr = boost_slot_addr(ba, slot);
	arch_uprobe_copy_ixol(ba->pages[(uaddr - ba->base) >> PAGE_SHIFT], uaddr,
			      image, sizeof(image));
	boost_publish(ba, slot, vaddr, len, &aup->insn);
out:
	mutex_unlock(&ba->lock);
	return slot;
}

/*
 * Is @vaddr inside current's restartable sequence?  Then the instruction
 * is stepped, not boosted: rseq would abort a task in the copy right (see
 * uprobe_settle_ip()), but keeping a sequence's instructions at their own
 * addresses costs one step and leaves nothing to translate.  An rseq area
 * that cannot be read counts as inside.  A boosted instruction
 * that itself stores the rseq_cs of a sequence starting right after it is
 * fine: preempted at the jump back, the task is moved on to that start
 * first, and the sequence is aborted as it would be natively.
 */
static bool boost_in_rseq(unsigned long vaddr)
{
#ifdef CONFIG_RSEQ
	struct rseq __user *rs = current->rseq;
	struct rseq_cs cs;
	u64 ptr;

	if (!rs)
		return false;
	if (copy_from_user(&ptr, &rs->rseq_cs, sizeof(ptr)))
		return true;
	if (!ptr)
		return false;
	if (copy_from_user(&cs, u64_to_user_ptr(ptr), sizeof(cs)))
		return true;
	return vaddr - cs.start_ip < cs.post_commit_offset;
#else
	return false;
#endif
}

/*
 * Send current to a boosted copy of @aup's instruction probed at @bp_addr,
 * instead of stepping it.  Lockless when the slot exists (the rseq check
 * may fault, which is fine under probe_srcu); @may_add, not under
 * probe_srcu, creates the area and the slot, which may sleep for long.
 * Returns false if the instruction is to be stepped.
 */
static bool boost_enter(struct arch_uprobe *aup, struct pt_regs *regs,
			unsigned long bp_addr, bool may_add)
{
	struct xol_area *area;
	struct boost_area *ba;
	int slot = -1;

	if (!arch_uprobe_boost_now(aup, regs))
		return false;
	ba = boost_area_of(current->mm);
	if (ba && READ_ONCE(ba->gone))
		return false;
	if (ba)
		slot = boost_find(ba, aup, bp_addr);
	if (slot < 0) {
		if (!may_add || (ba && READ_ONCE(ba->nr) >= BOOST_SLOTS))
			return false;
		if (!ba) {
			area = xol_area_current();
			if (!area || READ_ONCE(area->boost_failed))
				return false;
			ba = boost_area_of(current->mm);
			if (!ba)
				ba = boost_area_setup(area);
			if (!ba)
				return false;
		}
	}
	/* After the cheap checks: it reads user memory. */
	if (boost_in_rseq(bp_addr))
		return false;
	if (slot < 0) {
		slot = boost_add(ba, aup, bp_addr);
		if (slot < 0)
			return false;
	}
	instruction_pointer_set(regs, boost_slot_addr(ba, slot));
	return true;
}

/* Is @addr in a written slot of @ba?  Then its slot and offset in it. */
static bool boost_slot_of(struct boost_area *ba, unsigned long addr,
			  unsigned int *slot, unsigned int *off)
{
	if (addr - ba->base >= BOOST_SIZE)
		return false;
	*slot = (addr - ba->base) / BOOST_SLOT_BYTES;
	*off = (addr - ba->base) % BOOST_SLOT_BYTES;
	/* Pairs with the release in boost_add(). */
	return *slot < smp_load_acquire(&ba->nr);
}

/* Is current at @addr in its boost area?  Then the area, slot and offset. */
static bool boost_locate(unsigned long addr, struct boost_area **pba,
			 unsigned int *slot, unsigned int *off)
{
	if (current->flags & (PF_KTHREAD | PF_IO_WORKER))
		return false;
	*pba = boost_area_of(current->mm);
	return *pba && !READ_ONCE((*pba)->gone) && boost_slot_of(*pba, addr, slot, off);
}

/*
 * The original address for @ip in slot @slot of @ba at offset @off: the
 * probed instruction before it ran, the next one after; 0 for an offset
 * inside an instruction.
 */
static unsigned long boost_orig_addr(struct boost_area *ba, unsigned int slot,
				     unsigned int off)
{
	if (off == 0 || off == BOOST_HALF)
		return ba->vaddr[slot];
	if (off == ba->ilen[slot] || off == BOOST_HALF + ba->ilen[slot])
		return ba->vaddr[slot] + ba->ilen[slot];
	return 0;
}

static void boost_release(struct uprobe_task *ut)
{
	struct probe_task *pt = to_probe_task(ut);

	if (pt->boost_hold) {
		pt->boost_hold = false;
		arch_uprobe_boost_hold(false);
	}
}

/*
 * A signal the task raised itself (the instruction faulted in the run
 * half) is pending: then it is delivered at the probed address at once,
 * not after running the instruction again in the hold half, where it may
 * not fault any more, or touch a poisoned page a second time.  Delivering
 * it there is right: the instruction has not run.  Such a signal comes
 * from the kernel (si_code > 0) and is never blocked (force_sig_fault()
 * unblocks it); the same signal number sent by another task, or left
 * pending while blocked, is an ordinary asynchronous signal and is held
 * like the others, so that the instruction runs once and the probe does
 * not fire again.
 */
static bool boost_sync_signal_pending(void)
{
	const unsigned long fault_sigs = sigmask(SIGSEGV) | sigmask(SIGBUS) |
		sigmask(SIGILL) | sigmask(SIGTRAP) | sigmask(SIGFPE) | sigmask(SIGSYS);
	struct sighand_struct *sighand = current_sighand();
	unsigned long cand, queued = 0;
	struct sigqueue *q;
	bool sync = false;
	int sig;

	spin_lock_irq(&sighand->siglock);
	/* Faults are raised at the thread, never at the process. */
	cand = current->pending.signal.sig[0] & ~current->blocked.sig[0] & fault_sigs;
	if (cand) {
		list_for_each_entry(q, &current->pending.list, list) {
			sig = q->info.si_signo;
			if (sig >= _NSIG_BPW || !(cand & sigmask(sig)))
				continue;
			if (SI_FROMKERNEL(&q->info)) {
				sync = true;
				break;
			}
			queued |= sigmask(sig);
		}
		/*
		 * A pending bit without an entry: the sigqueue could not be
		 * allocated, and where it came from is unknown.  Take it for
		 * the fault it most likely is.
		 */
		if (cand & ~queued)
			sync = true;
	}
	spin_unlock_irq(&sighand->siglock);
	return sync;
}

/*
 * get_signal() found current at @regs, with a signal pending; see "Boosted
 * slots" above.  Returns true to hold the signal back for now.
 */
static bool boost_deny_signal(struct pt_regs *regs)
{
	struct uprobe_task *ut = current->utask;
	bool fatal = __fatal_signal_pending(current);
	unsigned int slot, off;
	struct boost_area *ba;
	unsigned long orig;

	if (!ut || !user_mode(regs) ||
	    !boost_locate(instruction_pointer(regs), &ba, &slot, &off))
		return false;
	orig = boost_orig_addr(ba, slot, off);
	if (!orig)
		return false;	/* the program jumped into the slot itself */

	if (off == 0 && !fatal && !boost_sync_signal_pending()) {
		/* Not run yet: run it where a breakpoint follows it. */
		instruction_pointer_set(regs, boost_slot_addr(ba, slot) + BOOST_HALF);
		to_probe_task(ut)->boost_hold = true;
		arch_uprobe_boost_hold(true);
		signals_hold();
		return true;
	}
	if (off == BOOST_HALF && !fatal && to_probe_task(ut)->boost_hold &&
	    !arch_uprobe_xol_was_trapped(current)) {
		/* Another signal came before the instruction ran. */
		signals_hold();
		return true;
	}

	/*
	 * Dying, or the instruction faulted: report it at the probe.  Or it
	 * ran, and the jump back or the breakpoint is all that is left.
	 */
	instruction_pointer_set(regs, orig);
	boost_release(ut);
	return false;
}

/**
 * uprobe_settle_ip - current's user IP as its program would see it
 * @regs: current's user registers, on the way back to user mode
 *
 * For code that judges a task by its user IP, as rseq does when it decides
 * whether a preempted task was inside a critical section: an IP in the
 * boost area is not an address of the program.  If the copied instruction
 * has run (the task is at the jump back, or at the breakpoint that ends a
 * hold half), the task is moved on to the next original instruction, which
 * is all that the jump or the breakpoint had left to do, and released from
 * the hold.  If it has not run, the probed address is returned, and a held
 * task is released back to the start of the copy, so that the caller may
 * move it elsewhere.  Task context only, on the way back to user mode: it
 * may take current's siglock.
 *
 * Return: the task's user IP, translated out of the boost area.
 */
unsigned long uprobe_settle_ip(struct pt_regs *regs)
{
	unsigned long ip = instruction_pointer(regs), orig;
	struct uprobe_task *ut = current->utask;
	unsigned int slot, off;
	struct boost_area *ba;

	lockdep_assert_irqs_enabled();
	if (!ut || !user_mode(regs) || !boost_locate(ip, &ba, &slot, &off))
		return ip;
	orig = boost_orig_addr(ba, slot, off);
	if (!orig)
		return ip;	/* inside an instruction: the program went there */
	if (off == 0)
		return orig;	/* not run yet */
	if (off == BOOST_HALF) {
		/*
		 * Held, not run yet: back to the run half, so that an abort
		 * of the sequence does not leave the hold armed; a signal
		 * still pending holds the task again.
		 */
		if (to_probe_task(ut)->boost_hold) {
			instruction_pointer_set(regs, boost_slot_addr(ba, slot));
			boost_release(ut);
			xol_release_signals();
		}
		return orig;
	}
	if (off == BOOST_HALF + ba->ilen[slot]) {
		if (!to_probe_task(ut)->boost_hold)
			return ip;	/* not a hold of ours: let the int3 trap */
		boost_release(ut);
		xol_release_signals();
	}
	instruction_pointer_set(regs, orig);
	return orig;
}

/* The breakpoint of a hold half: the held instruction has run. */
static bool boost_hold_done(struct pt_regs *regs, unsigned long bp_addr)
{
	struct uprobe_task *ut = current->utask;
	unsigned int slot, off;
	struct boost_area *ba;

	if (!ut || !to_probe_task(ut)->boost_hold ||
	    !boost_locate(bp_addr, &ba, &slot, &off) ||
	    off != BOOST_HALF + ba->ilen[slot])
		return false;
	instruction_pointer_set(regs, ba->vaddr[slot] + ba->ilen[slot]);
	boost_release(ut);
	xol_release_signals();
	return true;
}

/* The original address for an IP in the boost area, else @ip. */
static unsigned long boost_trap_addr(unsigned long ip)
{
	unsigned int slot, off;
	struct boost_area *ba;

	if (!boost_locate(ip, &ba, &slot, &off))
		return ip;
	return boost_orig_addr(ba, slot, off) ?: ip;
}

/*
 * Handlers, then the original instruction, emulated when the architecture
 * can.  Caller holds probe_srcu.  Returns @probe with a reference when the
 * instruction is to be stepped out of line, else NULL.
 */
static struct uprobe *bp_serve_hit(struct uprobe *probe, struct pt_regs *regs,
				   unsigned long bp_addr)
{
	struct uprobe_task *ut;

	/* Handlers see the probed IP, and any early exit re-executes there. */
	instruction_pointer_set(regs, bp_addr);

	/*
	 * Nothing more to do when the architecture skips the hit, a handler
	 * redirected the task or removed the breakpoint (the original then
	 * runs in place), or the instruction was emulated.
	 */
	ut = task_probe_state();
	if (!ut || arch_uprobe_ignore(&probe->ainsn, regs))
		return NULL;
	if (!bp_replay_take(ut, regs, bp_addr) && bp_run_handlers(probe, regs, bp_addr))
		return NULL;
	if (arch_uprobe_skip_sstep(&probe->ainsn, regs) ||
	    boost_enter(&probe->ainsn, regs, bp_addr, false))
		return NULL;
	/*
	 * The step outlives probe_srcu.  A probe without references has had
	 * its breakpoints removed: the original instruction is back in place
	 * and runs from there.
	 */
	return probe_try_hold(probe);
}

/*
 * What a hit costs, and why (CONFIG_PER_VMA_LOCK, the probe there, an
 * instruction that is emulated): probe_srcu's read side, two per-CPU
 * counter updates and no shared write, because the probe must not be freed
 * under the handlers; lockless walks of the VMA tree and the probe tree;
 * the consumers' handlers.  No lock is taken, no reference counted, nothing
 * allocated (but the task's uprobe_task on its first hit, and a return
 * instance beyond the pool's depth).  Only a miss, a concurrent change of
 * the mm's layout or an out-of-line step takes the slow parts.
 */
static void bp_handle_hit(struct pt_regs *regs)
{
	unsigned long bp_addr = uprobe_get_swbp_addr(regs);
	struct uprobe *probe, *step = NULL;
	int trap = 0;
	int idx;

	if (bp_addr == uprobe_get_trampoline_vaddr()) {
		uprobe_handle_trampoline(regs);
		return;
	}
	if (unlikely(boost_hold_done(regs, bp_addr)))
		return;

	idx = srcu_read_lock(&probe_srcu);
	probe = bp_lookup_hit(bp_addr, &trap);
	if (probe)
		step = bp_serve_hit(probe, regs, bp_addr);
	srcu_read_unlock(&probe_srcu, idx);

	if (step) {
		/* First hit of a boostable site in this mm: make its slot. */
		if (boost_enter(&step->ainsn, regs, bp_addr, true))
			probe_drop(step);
		else
			xol_begin_step(step, regs, bp_addr);
	} else if (probe) {
		return;
	} else if (trap > 0) {
		/* A trap instruction of the program itself. */
		force_sig(SIGTRAP);
	} else {
		/* Our breakpoint went away meanwhile: run what is there now. */
		instruction_pointer_set(regs, bp_addr);
	}
}

/*
 * Let the architecture account for what the copy in the slot did: fix up
 * the IP and whatever else depended on the instruction's address after a
 * completed step (@done), or put the task back at the probed address after
 * an abandoned one.  Returns 0 or the fix-up's error.
 */
static int xol_step_settle(struct uprobe_task *ut, struct pt_regs *regs,
			   bool done)
{
	struct arch_uprobe *aup = &ut->active_uprobe->ainsn;

	if (done)
		return arch_uprobe_post_xol(aup, regs);
	arch_uprobe_abort_xol(aup, regs);
	return 0;
}

/*
 * Finish current's out-of-line step.  A fix-up that failed on a transient
 * condition (-ERESTART, e.g. a user stack page that could not be faulted
 * in) restarts at the probed address, so that the hit is taken again; any
 * other failure leaves the task in a state it can not continue from.
 */
static void xol_step_end(struct uprobe_task *ut, struct pt_regs *regs)
{
	unsigned long probed = ut->vaddr;
	int err;

	if (ut->state == UTASK_SSTEP)
		return;		/* not done yet: spurious TIF_UPROBE */
	err = xol_step_settle(ut, regs, ut->state == UTASK_SSTEP_ACK);
	xol_step_detach(ut);
	xol_release_signals();

	if (err == -ERESTART) {
		instruction_pointer_set(regs, probed);
		bp_replay_mark(ut, regs);
	} else if (unlikely(err)) {
		probe_task_warn(current,
				"out-of-line step of the probed instruction failed, SIGILL");
		force_sig(SIGILL);
	}
}

/**
 * uprobe_notify_resume - do the uprobes work on the way back to user mode
 * @regs: user registers
 *
 * Runs with TIF_UPROBE set, interrupts enabled and no locks held: either
 * finishes a single step, or handles a breakpoint hit (run handlers, then
 * emulate or start stepping the original instruction out of line).
 */
void uprobe_notify_resume(struct pt_regs *regs)
{
	struct uprobe_task *ut = ut_stepping();

	clear_thread_flag(TIF_UPROBE);
	if (ut)
		xol_step_end(ut, regs);
	else
		bp_handle_hit(regs);
}

/*
 * A signal is pending while current steps out of line.  Taking it now
 * would run its handler, or dump core, with the IP in the slot, so it
 * waits: TIF_SIGPENDING is cleared until xol_step_end() recomputes it.
 * A signal that can not wait (a fatal one, or one the stepped instruction
 * raised itself and would raise again) abandons the step instead; the
 * task resumes at the probed address and takes the signal there.
 */
static void xol_hold_signals(struct uprobe_task *ut)
{
	struct task_struct *t = current;
	struct sighand_struct *sighand;

	if (ut->state == UTASK_SSTEP &&
	    (__fatal_signal_pending(t) || arch_uprobe_xol_was_trapped(t))) {
		ut->state = UTASK_SSTEP_TRAPPED;
		set_thread_flag(TIF_UPROBE);
	}
	sighand = current_sighand();
	spin_lock_irq(&sighand->siglock);
	clear_thread_flag(TIF_SIGPENDING);
	spin_unlock_irq(&sighand->siglock);
}

/**
 * uprobe_deny_signal - hold signals back while current single-steps
 *
 * Called from get_signal() with a signal pending; see xol_hold_signals().
 * A task in a boosted copy is moved out of it first, or held until the
 * copied instruction has run (boost_deny_signal()).
 *
 * Return: true if no signal may be dequeued now.
 */
bool uprobe_deny_signal(void)
{
	struct uprobe_task *ut = ut_stepping();

	if (likely(!ut))
		return boost_deny_signal(current_pt_regs());
	if (task_sigpending(current))
		xol_hold_signals(ut);
	return true;
}

/**
 * uprobe_get_trap_addr - the user address to report for a trap
 * @regs: user registers at the trap
 *
 * Return: the probed address while current steps an instruction out of
 * line, or runs a boosted copy of it (so a fault there reports the
 * original IP), else the IP.
 */
unsigned long uprobe_get_trap_addr(struct pt_regs *regs)
{
	struct uprobe_task *ut = ut_stepping();

	return unlikely(ut) ? ut->vaddr : boost_trap_addr(instruction_pointer(regs));
}

static struct notifier_block probe_die_nb = {
	.notifier_call	= arch_uprobe_exception_notify,
	.priority	= INT_MAX - 1,	/* notified after kprobes */
};

/**
 * uprobes_init - register the die notifier and initialise global state
 */
void __init uprobes_init(void)
{
	BUILD_BUG_ON(XOL_SLOTS_PER_PAGE < 2);
	WARN_ON(register_die_notifier(&probe_die_nb));
}

#ifdef CONFIG_UPROBES_KUNIT_TEST
#include "uprobes_test.c"
#endif
