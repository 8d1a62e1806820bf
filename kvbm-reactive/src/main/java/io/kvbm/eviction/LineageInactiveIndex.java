package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Objects;

/**
 * Evicts only leaves of the prefix forest of cached blocks, so a cached prefix is never hollowed out in the middle.
 * Leaves go in tick order ({@link LeafOrder#TICK}: chain by chain, tail to root, oldest chain first) or in the order
 * they became leaves ({@link LeafOrder#FIFO}: round robin across chains). A port of kvbm's lineage backend, its
 * default.
 */
class LineageInactiveIndex implements InactiveIndex {

    /*
     * Lineage eviction
     * ----------------
     *
     * Why leaves only. A cached block is worth something only behind its whole prefix: a lookup walks a request's
     * hashes from position 0 and stops at the first miss (findMatches), so evicting block p of a cached chain leaves
     * blocks p+1.. occupying memory that no request can ever reach again. LRU and FIFO do exactly that whenever a
     * chain's middle was released before its tail. This index evicts only leaves of the prefix forest, blocks from
     * which no cached block descends, so chains shrink from the tail and everything cached stays reachable [1].
     *
     * Data model. The forest is a slab of nodes addressed by int, kept in parallel arrays: state, hash, block id,
     * structural key (which holds the position), parent, first child, next and previous sibling (an intrusive doubly
     * linked child list, so a node unlinks in O(1)); the leaf order keeps its own per-node arrays. A node is
     *
     *   FREE   on the free-slot stack, threaded through nextSibling;
     *   GHOST  a key that holds children together but has no block: not counted, never a leaf, never a victim;
     *   REAL   a cached block; size() counts these.
     *
     * nodeOfBlock maps a block id to its REAL node, so take(hash, id) needs no key lookup. At most blockCount nodes
     * are REAL (a block id appears once), and the slab is pre-sized for twice that. Freed slots are reused, so in
     * steady state nothing is allocated; the slab, and the key table with it, doubles only when ghosts outgrow the
     * plan (many middles of cached chains active at once).
     *
     * Structural key. A child names its parent by position - 1 and the low R bits of the parent's current sequence
     * hash, where R = 54, 46 or 38 is the fragment width of the CHILD's mode [2]. So a node is keyed by what its
     * children carry, and a child computes its parent's key from its own hash:
     *
     *   key(node at p)        = mode(p+1) << 62 | p << R(p+1) | current & (2^R(p+1) - 1)
     *   parentKey(child at c) = mode(c)   << 62 | (c-1) << R(c) | child.parentHashFragment()
     *
     * These agree for the true parent, because SequenceHash.extend stores exactly that truncation. Taking the width
     * from the child is what survives the mode boundaries: the block at 255 is keyed on 46 bits because its child at
     * 256 carries 46, where keying by its own mode (54 bits) would never match. The two mode bits make the key
     * injective, since they fix R and so where the position ends and the fragment begins; the position fits beside
     * the fragment in every mode (8 + 54, 16 + 46, 24 + 38 bits). A node at MAX_POSITION, which has no child, uses
     * mode 2's layout. Keys live in an open-addressing long -> int table (NodeKeyTable).
     *
     * Ghosts. Blocks arrive in any order: a child can be released while its parent is still active, and a lookup hit
     * takes a middle block out while its descendants stay cached. Either way the forest keeps a GHOST in the gap.
     * Inserting the block again promotes the ghost in place, children and parent link included; a placeholder ghost
     * (created for an early child) has no hash, so it learns its own parent only on promotion.
     *
     * Pruning. Removing a block (a hit or an eviction) turns its node into a ghost; then, while the current node is
     * a childless ghost, it is unlinked from its parent, its key deleted and its slot freed, and the walk moves up.
     * It stops at a node that still has children or at a REAL node; a REAL node left childless is a leaf again. The
     * walk is a loop, not a recursion: the last block under 100 000 ghosts frees them all in one call. Each ghost is
     * created by one insert or removal, so pruning costs O(1) amortized.
     *
     * Leaf orders. Which leaf goes first is the job of a Leaves strategy:
     *
     *   TICK  (EvictionPolicy.lineage(), kvbm's default) every node draws a tick from a counter each time it becomes
     *         REAL; leaves sit in an indexed binary min-heap by tick (TicketHeap) and the victim is the smallest. A
     *         node that stops being a leaf leaves the heap but keeps its tick, so when its last child goes it returns
     *         to its original place, usually ahead of every other leaf: chains go tail to root, oldest chain first.
     *   FIFO  (EvictionPolicy.lineageFifo()) an intrusive doubly linked list of leaves (BlockLists): a new leaf, or
     *         a parent that is a leaf again, joins the tail and the victim is the head: chains go round robin.
     *
     * A subclass may bring its own strategy (LineageLfuInactiveIndex orders leaves by a frequency-weighted expiry).
     *
     * Chains A -> B and X -> Y inserted A, B, X, Y (ticks 1..4, leaves B and Y):
     *
     *   TICK  B (A is a leaf again, tick 1), A, Y, X             evicts B, A, Y, X
     *   FIFO  B (A queues behind Y), Y (X queues behind A), A, X  evicts B, Y, A, X
     *
     * Complexity. insert, remove, has, take and evict cost O(1) expected for the key table and the links, plus
     * O(log L) for the TICK heap over L leaves (O(1) for FIFO); pruning is O(1) amortized.
     *
     * Collisions. Every lookup (remove, has, take) resolves a node by key and then demands full 128-bit equality. A
     * key keeps only 38 to 54 bits of the current hash and none of the parent fragment, so an impostor sharing the
     * position and the truncated hash is a miss, never someone else's block. Two different cached blocks at one
     * position do share a key with probability about n^2 / 2^(R+1). kvbm panics then [1]; a library must not take a
     * serving process down over a 2^-38 event. The second block gets a REAL node linked to its parent but not
     * registered under the key, found through the overflow map (hash -> node, empty in practice and consulted only
     * when it is not) and counted by collisions(). Such a node never has children, since children find their parent
     * by key, i.e. the registered node: it is always a leaf and is pruned as soon as it is removed. The same
     * ambiguity can hang a child under a key-sharing stranger, or let a block of another lineage promote a ghost (the
     * node then moves under the block's own parent, so every REAL node hangs under its parent key); that shifts the
     * eviction order, never the contents.
     *
     * [1] ai-dynamo/dynamo, lib/kvbm-logical, pools/inactive/backends/lineage (and its eviction sub-module).
     * [2] io.kvbm.tokens.SequenceHash: Dynamo's PositionalLineageHash, newest layout.
     */

    /** How leaves are ordered for eviction. */
    enum LeafOrder {
        /** The leaf that became REAL first goes first; a re-exposed parent keeps its original place. */
        TICK,
        /** Leaves go in the order they became leaves; a re-exposed parent queues at the tail. */
        FIFO
    }

    static final int NIL = -1;

    private static final byte FREE = 0;
    private static final byte GHOST = 1;
    private static final byte REAL = 2;

    /** The largest slab: twice this many key-table slots must still fit in an array. */
    private static final int MAX_NODES = 1 << 29;

    private static final int[] FRAGMENT_BITS = {54, 46, 38};

    private final String order; // the leaf order's name, for toString
    private final int[] nodeOfBlock; // block id -> REAL node, NIL if the block is not in the index
    private final NodeKeyTable table; // structural key -> GHOST or REAL node
    private final HashMap<SequenceHash, Integer> overflow = new HashMap<>(); // collided REAL nodes, not in table
    private final Leaves leaves;

    private byte[] state;
    private SequenceHash[] hashes; // non-null exactly for REAL nodes
    private int[] blockIds;
    private long[] keys;
    private int[] parent;
    private int[] firstChild;
    private int[] nextSibling; // also the free-slot stack's link for FREE nodes
    private int[] prevSibling;

    private int highWater; // slots at or above it were never used
    private int freeTop = NIL;
    private int nodes; // GHOST + REAL
    private int size; // REAL
    private long collisions;

    LineageInactiveIndex(int blockCount, LeafOrder order) {
        this(
                blockCount,
                Objects.requireNonNull(order, "order").name(),
                (capacity, blocks) ->
                        order == LeafOrder.TICK ? new TickLeaves(capacity, blocks) : new FifoLeaves(capacity));
    }

    /**
     * Creates an index whose leaves are ordered by the strategy {@code leaves} makes, for subclasses with their own
     * order.
     *
     * @param blockCount the manager's block count
     * @param order the order's name, for {@code toString}
     * @param leaves called once with the initial node capacity and the block count
     */
    LineageInactiveIndex(int blockCount, String order, LeavesFactory leaves) {
        if (blockCount < 1 || blockCount > MAX_NODES / 2) {
            throw new IllegalArgumentException("blockCount must be in [1, " + MAX_NODES / 2 + "], got " + blockCount);
        }
        this.order = Objects.requireNonNull(order, "order");
        int capacity = 2 * blockCount;
        this.nodeOfBlock = new int[blockCount];
        Arrays.fill(nodeOfBlock, NIL);
        this.table = new NodeKeyTable(capacity);
        this.state = new byte[capacity];
        this.hashes = new SequenceHash[capacity];
        this.blockIds = new int[capacity];
        this.keys = new long[capacity];
        this.parent = new int[capacity];
        this.firstChild = new int[capacity];
        this.nextSibling = new int[capacity];
        this.prevSibling = new int[capacity];
        this.leaves = Objects.requireNonNull(leaves, "leaves").create(capacity, blockCount);
    }

    @Override
    public void insert(SequenceHash hash, int blockId) {
        Objects.requireNonNull(hash, "hash");
        IndexChecks.checkBlockId(blockId, nodeOfBlock.length);
        if (nodeOfBlock[blockId] != NIL) {
            throw IndexChecks.alreadyPresent(blockId);
        }
        if (!overflow.isEmpty() && overflow.containsKey(hash)) {
            throw duplicate(hash, overflow.get(hash));
        }
        // Room for this node and a placeholder parent up front, so that growth cannot fail halfway through a link.
        if (state.length - nodes < 2) {
            grow();
        }
        long key = nodeKey(hash);
        int n = table.get(key);
        if (n == NodeKeyTable.ABSENT) {
            n = newNode(key);
            table.put(key, n);
        } else if (state[n] == REAL) {
            if (hashes[n].equals(hash)) {
                throw duplicate(hash, n);
            }
            n = newNode(key);
            overflow.put(hash, n);
            collisions++;
        }
        state[n] = REAL;
        hashes[n] = hash;
        blockIds[n] = blockId;
        nodeOfBlock[blockId] = n;
        size++;
        if (hash.position() > 0) {
            long parentKey = parentKey(hash);
            int p = parent[n];
            if (p != NIL && keys[p] != parentKey) {
                // A ghost promoted by a block of another lineage (a key collision): move it under its own parent.
                unlinkFromParent(p, n);
                prune(p);
                p = NIL;
            }
            if (p == NIL) {
                linkToParent(n, parentKey);
            }
        }
        boolean leaf = firstChild[n] == NIL;
        leaves.becameReal(n, hash, leaf && (parent[n] == NIL || state[parent[n]] != REAL));
        if (leaf) {
            leaves.add(n);
        }
    }

    @Override
    public int remove(SequenceHash hash) {
        int n = find(hash);
        return n == NIL ? NO_BLOCK : removeNode(n);
    }

    @Override
    public boolean has(SequenceHash hash) {
        return find(hash) != NIL;
    }

    @Override
    public boolean take(SequenceHash hash, int blockId) {
        if (blockId < 0 || blockId >= nodeOfBlock.length) {
            return false;
        }
        int n = nodeOfBlock[blockId];
        if (n == NIL || !hashes[n].equals(hash)) {
            return false;
        }
        removeNode(n);
        return true;
    }

    @Override
    public int evict() {
        int n = leaves.victim();
        return n == NIL ? NO_BLOCK : removeNode(n);
    }

    @Override
    public int size() {
        return size;
    }

    /**
     * Returns the key of the node holding {@code hash}: its position and its current sequence hash truncated to the
     * fragment width its children use.
     *
     * <p>Design notes: keying by the full 64-bit current hash would spare the truncation but not fit one {@code long}
     * beside the position, and a child could not look its parent up anyway: it only knows the truncated fragment.
     */
    static long nodeKey(SequenceHash hash) {
        int position = hash.position();
        int mode = modeOf(position + 1); // MAX_POSITION + 1 = 2^24 falls in mode 2, whose layout still fits
        int r = FRAGMENT_BITS[mode];
        return (long) mode << 62 | (long) position << r | (hash.currentSequenceHash() & ((1L << r) - 1));
    }

    /** Returns the key of the parent of {@code child}, which must not be a root. */
    static long parentKey(SequenceHash child) {
        int mode = child.mode(); // mode(c): SequenceHash rejects encodings whose mode does not match the position
        int r = FRAGMENT_BITS[mode];
        return (long) mode << 62 | (long) (child.position() - 1) << r | child.parentHashFragment();
    }

    private static int modeOf(int position) {
        if (position < (1 << 8)) {
            return 0;
        }
        return position < (1 << 16) ? 1 : 2;
    }

    /** Returns the REAL node holding exactly {@code hash}, or NIL. */
    private int find(SequenceHash hash) {
        int n = table.get(nodeKey(hash));
        if (n != NodeKeyTable.ABSENT && state[n] == REAL && hashes[n].equals(hash)) {
            return n;
        }
        if (overflow.isEmpty()) {
            return NIL;
        }
        Integer collided = overflow.get(hash);
        return collided == null ? NIL : collided;
    }

    private void linkToParent(int n, long parentKey) {
        int p = table.get(parentKey);
        if (p == NodeKeyTable.ABSENT) {
            p = newNode(parentKey); // a placeholder GHOST: the parent is active, evicted, or not released yet
            table.put(parentKey, p);
        } else if (state[p] == REAL && firstChild[p] == NIL) {
            leaves.remove(p);
        }
        int first = firstChild[p];
        nextSibling[n] = first;
        prevSibling[n] = NIL;
        if (first != NIL) {
            prevSibling[first] = n;
        }
        firstChild[p] = n;
        parent[n] = p;
    }

    /** Takes REAL node {@code n} out of the cache, then prunes the ghosts it leaves behind; returns its block id. */
    private int removeNode(int n) {
        if (firstChild[n] == NIL) {
            leaves.remove(n);
        }
        if (!overflow.isEmpty()) {
            overflow.remove(hashes[n], n);
        }
        int id = blockIds[n];
        nodeOfBlock[id] = NIL;
        blockIds[n] = NIL;
        hashes[n] = null;
        state[n] = GHOST;
        size--;
        prune(n);
        return id;
    }

    /**
     * Frees {@code n} and its ancestors while they are childless ghosts, iteratively; the first REAL node left
     * childless becomes a leaf. Called on a node that just became a ghost or just lost a child.
     */
    private void prune(int n) {
        while (state[n] == GHOST && firstChild[n] == NIL) {
            int p = parent[n];
            if (p != NIL) {
                unlinkFromParent(p, n);
            }
            table.remove(keys[n], n); // a no-op for a collided node, which the table never held
            freeNode(n);
            if (p == NIL) {
                return;
            }
            n = p;
        }
        if (state[n] == REAL && firstChild[n] == NIL) {
            leaves.add(n);
        }
    }

    private void unlinkFromParent(int p, int n) {
        int prev = prevSibling[n];
        int next = nextSibling[n];
        if (prev == NIL) {
            firstChild[p] = next;
        } else {
            nextSibling[prev] = next;
        }
        if (next != NIL) {
            prevSibling[next] = prev;
        }
        parent[n] = NIL;
        prevSibling[n] = NIL;
        nextSibling[n] = NIL;
    }

    /** Returns a fresh GHOST node with {@code key}, no links, not yet in the table. */
    private int newNode(long key) {
        int n;
        if (freeTop != NIL) {
            n = freeTop;
            freeTop = nextSibling[n];
        } else {
            if (highWater == state.length) {
                grow();
            }
            n = highWater++;
        }
        state[n] = GHOST;
        keys[n] = key;
        blockIds[n] = NIL;
        parent[n] = NIL;
        firstChild[n] = NIL;
        nextSibling[n] = NIL;
        prevSibling[n] = NIL;
        nodes++;
        return n;
    }

    private void freeNode(int n) {
        state[n] = FREE;
        nextSibling[n] = freeTop;
        freeTop = n;
        nodes--;
    }

    private void grow() {
        int capacity = state.length;
        if (capacity >= MAX_NODES) {
            throw new IllegalStateException("lineage index cannot hold more than " + MAX_NODES + " nodes");
        }
        int grown = Math.min(MAX_NODES, capacity * 2);
        state = Arrays.copyOf(state, grown);
        hashes = Arrays.copyOf(hashes, grown);
        blockIds = Arrays.copyOf(blockIds, grown);
        keys = Arrays.copyOf(keys, grown);
        parent = Arrays.copyOf(parent, grown);
        firstChild = Arrays.copyOf(firstChild, grown);
        nextSibling = Arrays.copyOf(nextSibling, grown);
        prevSibling = Arrays.copyOf(prevSibling, grown);
        table.ensureCapacity(grown);
        leaves.grow(grown);
    }

    private IllegalStateException duplicate(SequenceHash hash, int n) {
        return new IllegalStateException(
                "hash " + hash + " is already in the inactive index (block " + blockIds[n] + ")");
    }

    /** Returns the number of node slots; it changes only when ghosts outgrow the pre-sized slab. */
    int slabCapacity() {
        return state.length;
    }

    /** Returns the number of GHOST and REAL nodes. */
    int nodeCount() {
        return nodes;
    }

    /** Returns the number of evictable leaves. */
    int leafCount() {
        return leaves.size();
    }

    /** Returns whether {@code hash} is cached and has no cached descendant, i.e. whether it is evictable now. */
    boolean isLeaf(SequenceHash hash) {
        int n = find(hash);
        return n != NIL && leaves.contains(n);
    }

    /** Returns the node holding {@code hash}, or -1 if it is not cached: for a subclass's test hooks. */
    final int nodeOf(SequenceHash hash) {
        return find(hash);
    }

    /** Returns the leaf order this index was built with. */
    final Leaves leaves() {
        return leaves;
    }

    /** Returns how many inserts met a different cached hash under the same structural key. */
    long collisions() {
        return collisions;
    }

    /**
     * Walks the whole forest and throws if any invariant is broken: links agree both ways, ghosts have children,
     * leaves are exactly the childless REAL nodes, the key table and the overflow map hold exactly the nodes they
     * should, and the counts match. O(nodes); for tests.
     *
     * @throws IllegalStateException naming the first broken invariant
     */
    void checkInvariants() {
        int real = 0;
        int used = 0;
        int free = 0;
        int keyed = 0;
        int linked = 0;
        int leafCount = 0;
        for (int n = 0; n < highWater; n++) {
            if (state[n] == FREE) {
                continue;
            }
            used++;
            check(state[n] == GHOST || state[n] == REAL, n, "has an unknown state");
            boolean inTable = table.get(keys[n]) == n;
            if (inTable) {
                keyed++;
            }
            if (state[n] == REAL) {
                real++;
                SequenceHash hash = hashes[n];
                check(hash != null, n, "is REAL without a hash");
                check(keys[n] == nodeKey(hash), n, "has a key that is not its hash's key");
                check(nodeOfBlock[blockIds[n]] == n, n, "is not the node of its block");
                Integer collided = overflow.get(hash);
                check(inTable != (collided != null && collided == n), n, "is not in exactly one of table, overflow");
                if (parent[n] != NIL) {
                    check(keys[parent[n]] == parentKey(hash), n, "hangs under a node with another key");
                } else {
                    check(hash.position() == 0, n, "is REAL at a positive position without a parent");
                }
                boolean leaf = firstChild[n] == NIL;
                check(leaves.contains(n) == leaf, n, leaf ? "is a leaf missing from the leaves" : "is a false leaf");
                if (leaf) {
                    leafCount++;
                }
            } else {
                check(hashes[n] == null && blockIds[n] == NIL, n, "is a GHOST holding a block");
                check(firstChild[n] != NIL, n, "is a childless GHOST that was not pruned");
                check(inTable, n, "is a GHOST missing from the key table");
                check(!leaves.contains(n), n, "is a GHOST among the leaves");
            }
            int prev = NIL;
            for (int c = firstChild[n]; c != NIL; c = nextSibling[c]) {
                check(state[c] != FREE && parent[c] == n, c, "is listed under " + n + " but not linked to it");
                check(prevSibling[c] == prev, c, "has a wrong previous sibling");
                linked++;
                prev = c;
            }
        }
        for (int n = 0; n < highWater; n++) {
            if (state[n] != FREE && parent[n] != NIL) {
                linked--;
            }
        }
        for (int n = freeTop; n != NIL; n = nextSibling[n]) {
            check(state[n] == FREE, n, "is on the free stack but not FREE");
            free++;
        }
        check(used == nodes, NIL, "the node count is " + nodes + " but " + used + " nodes are in use");
        check(used + free == highWater, NIL, "slots are lost: " + (used + free) + " found of " + highWater);
        check(linked == 0, NIL, "child lists and parent links disagree by " + linked);
        check(real == size, NIL, "size is " + size + " but " + real + " nodes are REAL");
        check(keyed == table.size(), NIL, "the key table holds " + table.size() + " keys, " + keyed + " nodes");
        check(leafCount == leaves.size(), NIL, "the leaf order holds " + leaves.size() + " of " + leafCount);
        int inBlocks = 0;
        for (int n : nodeOfBlock) {
            if (n != NIL) {
                inBlocks++;
            }
        }
        check(inBlocks == size, NIL, inBlocks + " blocks map to nodes, size is " + size);
        leaves.checkInvariants();
    }

    private static void check(boolean condition, int node, String message) {
        if (!condition) {
            throw new IllegalStateException(node == NIL ? message : "node " + node + " " + message);
        }
    }

    @Override
    public String toString() {
        return "LineageInactiveIndex[order=" + order + ", size=" + size + ", ghosts=" + (nodes - size) + ", collisions="
                + collisions + "]";
    }

    /** Creates a {@link Leaves} strategy for node indices below {@code capacity} and at most {@code blockCount} leaves. */
    @FunctionalInterface
    interface LeavesFactory {
        Leaves create(int capacity, int blockCount);
    }

    /**
     * The order in which leaves are evicted. The index tells it when a node becomes REAL and when it becomes or stops
     * being a leaf; it answers with the next victim.
     */
    abstract static class Leaves {

        /**
         * Called each time {@code node} becomes REAL (linked to its parent), before it may be added as a leaf.
         *
         * @param node the node
         * @param hash its block's hash
         * @param releasedAsTail whether it arrived as a leaf while its parent (if it has one) is not cached: the
         *     deepest block of a prefix whose holder still holds the rest, i.e. the end of what a request released
         */
        abstract void becameReal(int node, SequenceHash hash, boolean releasedAsTail);

        /** {@code node} is now a leaf (REAL, childless). */
        abstract void add(int node);

        /** {@code node}, a leaf, is no longer one (it got a child or left the cache). */
        abstract void remove(int node);

        /** Returns the next victim without removing it, or NIL. */
        abstract int victim();

        abstract int size();

        abstract boolean contains(int node);

        /** Makes room for node indices below {@code capacity}. */
        abstract void grow(int capacity);

        abstract void checkInvariants();
    }

    /**
     * Leaves in a {@link TicketHeap}, smallest ticket first. Each release into the index draws the next tick of one
     * counter; here the ticket is the tick itself (lineage's order), and {@link LineageLfuInactiveIndex} derives it from
     * the tick and the block's frequency instead. Ticks are unique, so with plain ticks ties, and with them the node
     * index as a tie-breaker, never arise.
     *
     * <p>Design notes: kvbm keeps an ordered set of {@code (tick, node)}; a {@code TreeSet} would allocate an entry per
     * leaf change, where the heap reuses its arrays. The heap keeps a node's ticket while the node is not a leaf, so it
     * returns to its original place. The heap holds only leaves, which are REAL, so it never needs more than
     * {@code blockCount} entries.
     */
    static class TickLeaves extends Leaves {

        final TicketHeap heap;
        private long nextTick;

        TickLeaves(int capacity, int blockCount) {
            this.heap = new TicketHeap(capacity, blockCount);
        }

        /** The ticket of a block released at {@code tick} (smaller is evicted first): the tick, oldest first. */
        long ticket(long tick, SequenceHash hash, boolean releasedAsTail) {
            return tick;
        }

        @Override
        final void becameReal(int node, SequenceHash hash, boolean releasedAsTail) {
            heap.setTicket(node, ticket(nextTick++, hash, releasedAsTail));
        }

        @Override
        final void add(int node) {
            heap.add(node);
        }

        @Override
        final void remove(int node) {
            heap.remove(node);
        }

        @Override
        final int victim() {
            int node = heap.peek();
            return node == TicketHeap.NONE ? NIL : node;
        }

        @Override
        final int size() {
            return heap.size();
        }

        @Override
        final boolean contains(int node) {
            return heap.contains(node);
        }

        @Override
        final void grow(int capacity) {
            heap.grow(capacity);
        }

        @Override
        final void checkInvariants() {
            heap.checkInvariants();
        }
    }

    /** Leaves in an intrusive doubly linked list ({@link BlockLists}), oldest leaf at the head. */
    private static final class FifoLeaves extends Leaves {

        private static final int LIST = 0;

        private final BlockLists list;

        FifoLeaves(int capacity) {
            this.list = new BlockLists(1, capacity);
        }

        @Override
        void becameReal(int node, SequenceHash hash, boolean releasedAsTail) {
            // The list records when a node became a leaf, not when it became REAL.
        }

        @Override
        void add(int node) {
            list.append(LIST, node);
        }

        @Override
        void remove(int node) {
            list.unlink(node);
        }

        @Override
        int victim() {
            int node = list.head(LIST);
            return node == BlockLists.NIL ? NIL : node;
        }

        @Override
        int size() {
            return list.size(LIST);
        }

        @Override
        boolean contains(int node) {
            return list.contains(node);
        }

        @Override
        void grow(int capacity) {
            list.grow(capacity);
        }

        @Override
        void checkInvariants() {
            list.checkInvariants();
        }
    }
}
