package io.kvbm.tokens;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The identity of a logical KV-cache block: a 128-bit <em>positional lineage hash</em> that packs the block's
 * position in its sequence, its chained sequence hash, and a fragment of its parent's chained hash. This is the value
 * kvbm calls {@code SequenceHash} (Dynamo's {@code PositionalLineageHash}, newest layout), bit for bit.
 *
 * <h2>Layout</h2>
 *
 * <pre>
 *  bit 127                                                                          bit 0
 *  +------+--------------+-----------------------------------+----------------------+
 *  | mode |   position   |   current sequence hash (64 bits) |   parent fragment    |
 *  |  2   |      P       |                64                 |          R           |
 *  +------+--------------+-----------------------------------+----------------------+
 *
 *  mode 0: position in [0, 2^8)          P = 8    R = 54
 *  mode 1: position in [2^8, 2^16)       P = 16   R = 46
 *  mode 2: position in [2^16, 2^24)      P = 24   R = 38      (mode 3 is never used)
 * </pre>
 *
 * <p>The <b>current sequence hash</b> is the block's full chained hash: for position 0 it is the block's content
 * hash, for position {@code p > 0} it is {@code XXH3_64(LE_u64(parent current) ‖ LE_u64(block hash), seed 0)} (see
 * {@link #extend(long)}). The <b>parent fragment</b> is the parent's current sequence hash truncated to {@code R}
 * bits, zero for the root; it lets a cache tell a block's parent from the 128 bits alone (lineage eviction walks
 * parents this way) without storing a second full hash.
 *
 * <p><b>Why modes.</b> Almost every sequence is short, so a fixed 24-bit position field would waste 16 bits of
 * parent fragment on every block. The mode spends two bits to size the position field to the position itself: the
 * first 256 blocks keep a 54-bit fragment, and only sequences longer than 65,536 blocks drop to 38 bits. A position
 * has exactly one valid mode, so every value has a single encoding and decoders can reject the rest.
 *
 * <p><b>Equality</b> is equality of the 128 bits: two blocks are the same logical block when they sit at the same
 * position, have the same chained hash and descend from parents agreeing on the fragment. {@link #hashCode()} folds
 * both words into 64 bits and spreads them over the 32 bits of an {@code int}. {@link #compareTo} orders by position,
 * then current sequence hash (unsigned), then the raw 128 bits (unsigned), so sorted batches list shallower blocks
 * first, as kvbm's events do.
 *
 * <p><b>Wire form.</b> {@link #toBytes()} gives the 128-bit value as 16 big-endian bytes (high word first), the
 * serialization Dynamo uses; {@link #fromBytes(byte[])} and {@link #fromBits(long, long)} validate that the mode
 * matches the position. {@link #toString()} gives kvbm's text form, {@code "pos:base58(current)"} for a root and
 * {@code "pos:base58(current):base58(parentFragment)"} otherwise, each hash as 8 big-endian bytes in the bitcoin
 * base58 alphabet.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class SequenceHash implements Comparable<SequenceHash> {

    /** The largest position a sequence hash can encode: {@code 2^24 - 1} (16,777,215). */
    public static final int MAX_POSITION = (1 << 24) - 1;

    /** The length of the wire form produced by {@link #toBytes()}. */
    public static final int BYTES = 16;

    private static final int MODE_SHIFT = 62;
    private static final int[] FRAGMENT_BITS = {54, 46, 38};
    private static final char[] BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".toCharArray();

    private final long hi;
    private final long lo;
    /** {@link #hashCode()}, computed once: it fits in the object's alignment padding (12 + 8 + 8 + 4 = 32 bytes). */
    private final int hash;

    private SequenceHash(long hi, long lo) {
        this.hi = hi;
        this.lo = lo;
        this.hash = hash(hi, lo);
    }

    /**
     * Returns the sequence hash of the first block (position 0) of a sequence.
     *
     * @param blockHash the block's content hash (XXH3-64 of its tokens, seeded with the salt); it becomes the current
     *     sequence hash unchanged
     * @return the root hash, with a zero parent fragment
     */
    public static SequenceHash root(long blockHash) {
        return encode(0, blockHash, 0L);
    }

    /**
     * Returns a sequence hash from its logical fields.
     *
     * @param position the block's position, in {@code [0, MAX_POSITION]}
     * @param currentSequenceHash the block's full chained sequence hash
     * @param parentSequenceHash the parent's full chained sequence hash; only its low {@code R} bits (for the mode of
     *     {@code position}) are kept, and it is ignored at position 0, where there is no parent
     * @return the encoded hash
     * @throws IllegalArgumentException if {@code position} is out of range
     */
    public static SequenceHash of(int position, long currentSequenceHash, long parentSequenceHash) {
        checkPosition("position", position);
        long fragment = position == 0 ? 0L : parentSequenceHash & fragmentMask(modeOf(position));
        return encode(position, currentSequenceHash, fragment);
    }

    /**
     * Returns the sequence hash whose 128-bit value is {@code high:low}, as produced by {@link #highBits()} and
     * {@link #lowBits()}.
     *
     * @param high the upper 64 bits (mode, position and the top of the current hash)
     * @param low the lower 64 bits
     * @return the decoded hash
     * @throws IllegalArgumentException if the mode is 3 or is not the mode of the encoded position
     */
    public static SequenceHash fromBits(long high, long low) {
        int mode = (int) (high >>> MODE_SHIFT);
        if (mode == 3) {
            throw new IllegalArgumentException(
                    "SequenceHash mode must be 0, 1 or 2, got 3 (high bits " + hex(high) + ")");
        }
        int position = decodePosition(high, mode);
        int expected = modeOf(position);
        if (expected != mode) {
            throw new IllegalArgumentException("SequenceHash position " + position + " must be encoded in mode "
                    + expected + ", got mode " + mode + " (high bits " + hex(high) + ")");
        }
        return new SequenceHash(high, low);
    }

    /**
     * Decodes the 16-byte big-endian wire form written by {@link #toBytes()}.
     *
     * @param bytes exactly {@link #BYTES} bytes, high word first
     * @return the decoded hash
     * @throws NullPointerException if {@code bytes} is null
     * @throws IllegalArgumentException if the length is not 16 or the bits are not a valid encoding (see
     *     {@link #fromBits(long, long)})
     */
    public static SequenceHash fromBytes(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("SequenceHash needs 16 bytes, got " + bytes.length);
        }
        return fromBits(readLong(bytes, 0), readLong(bytes, Long.BYTES));
    }

    /**
     * Returns the hash of this block's child, at {@link #position()} + 1.
     *
     * <p>The child's current hash is {@code XXH3_64(LE_u64(this.currentSequenceHash()) ‖ LE_u64(childBlockHash),
     * seed 0)}; the salt does not appear because it already entered every block hash. The child's parent fragment is
     * this block's current hash truncated to the child's width ({@link #parentFragmentForChildPosition(int)}).
     *
     * @param childBlockHash the child block's content hash
     * @return the child's sequence hash
     * @throws IllegalStateException if this hash is at {@link #MAX_POSITION}
     */
    public SequenceHash extend(long childBlockHash) {
        int position = position();
        if (position == MAX_POSITION) {
            throw new IllegalStateException("cannot extend a SequenceHash at position " + position
                    + ": positions are limited to [0, " + MAX_POSITION + "]");
        }
        int childPosition = position + 1;
        long current = currentSequenceHash();
        long childCurrent = Xxh3.chain(current, childBlockHash);
        return encode(childPosition, childCurrent, current & fragmentMask(modeOf(childPosition)));
    }

    /**
     * Returns the upper 64 bits of the 128-bit value.
     *
     * @return mode, position and the top of the current sequence hash
     */
    public long highBits() {
        return hi;
    }

    /**
     * Returns the lower 64 bits of the 128-bit value.
     *
     * @return the rest of the current sequence hash and the parent fragment
     */
    public long lowBits() {
        return lo;
    }

    /**
     * Returns the block's 0-based position in its sequence.
     *
     * @return a value in {@code [0, MAX_POSITION]}
     */
    public int position() {
        return decodePosition(hi, mode());
    }

    /**
     * Returns the encoding mode: 0 for positions below {@code 2^8}, 1 below {@code 2^16}, 2 otherwise.
     *
     * @return 0, 1 or 2
     */
    public int mode() {
        return (int) (hi >>> MODE_SHIFT);
    }

    /**
     * Returns the block's full 64-bit chained sequence hash.
     *
     * @return the current sequence hash, as an unsigned value in a {@code long}
     */
    public long currentSequenceHash() {
        int r = fragmentBits(mode());
        return (hi << (64 - r)) | (lo >>> r);
    }

    /**
     * Returns the low bits of the parent's current sequence hash stored in this hash: 54, 46 or 38 bits for modes 0,
     * 1 and 2; zero for a root.
     *
     * @return the parent fragment, right-aligned
     */
    public long parentHashFragment() {
        return lo & fragmentMask(mode());
    }

    /**
     * Returns this block's current sequence hash truncated to the parent-fragment width a child at
     * {@code childPosition} uses, i.e. the value that child's {@link #parentHashFragment()} holds. Comparing the two
     * finds a block's parent among candidates without a full parent hash, also across mode boundaries.
     *
     * @param childPosition the position of the (would-be) child, in {@code [0, MAX_POSITION]}
     * @return the truncated current sequence hash
     * @throws IllegalArgumentException if {@code childPosition} is out of range
     */
    public long parentFragmentForChildPosition(int childPosition) {
        checkPosition("childPosition", childPosition);
        return currentSequenceHash() & fragmentMask(modeOf(childPosition));
    }

    /**
     * Tells whether this is the hash of a first block.
     *
     * @return {@code true} if {@link #position()} is 0
     */
    public boolean isRoot() {
        return position() == 0;
    }

    /**
     * Returns the 16-byte wire form: the 128-bit value big-endian, {@link #highBits()} first.
     *
     * @return a new array of {@link #BYTES} bytes
     */
    public byte[] toBytes() {
        byte[] bytes = new byte[BYTES];
        writeLong(bytes, 0, hi);
        writeLong(bytes, Long.BYTES, lo);
        return bytes;
    }

    /**
     * Compares by position, then by current sequence hash as an unsigned number, then by the raw 128 bits unsigned.
     * Consistent with {@link #equals(Object)}.
     *
     * @param other the hash to compare with
     * @return a negative number, zero or a positive number as this hash sorts before, with or after {@code other}
     */
    @Override
    public int compareTo(SequenceHash other) {
        int byPosition = Integer.compare(position(), other.position());
        if (byPosition != 0) {
            return byPosition;
        }
        int byCurrent = Long.compareUnsigned(currentSequenceHash(), other.currentSequenceHash());
        if (byCurrent != 0) {
            return byCurrent;
        }
        int byHigh = Long.compareUnsigned(hi, other.hi);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(lo, other.lo);
    }

    /**
     * Two sequence hashes are equal when their 128-bit values are equal.
     *
     * @param o the object to compare with
     * @return whether {@code o} is a {@code SequenceHash} with the same bits
     */
    @Override
    public boolean equals(@Nullable Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SequenceHash)) {
            return false;
        }
        SequenceHash other = (SequenceHash) o;
        return hi == other.hi && lo == other.lo;
    }

    /**
     * Returns a hash code derived from all 128 bits.
     *
     * @return both words folded and put through a 64-bit finalizer
     */
    @Override
    public int hashCode() {
        return hash;
    }

    private static int hash(long hi, long lo) {
        // Not kvbm's plain hi ^ lo: position bits sit at the same offsets as the low bits of the current hash, so
        // that fold cancels them (e.g. of(i, i, 0) gives 0 for every i < 256). Scrambling the high word first with a
        // bijection (odd multiply, then xorshift so high bits reach low ones) breaks the alignment; the finalizer
        // (murmur3's fmix64) then spreads every bit over the 32 that hash tables look at.
        long h = hi * 0x9E3779B97F4A7C15L;
        long x = (h ^ (h >>> 32)) ^ lo;
        x = (x ^ (x >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return (int) (x ^ (x >>> 32));
    }

    /**
     * Returns kvbm's text form: {@code "pos:base58(current)"} for a root, {@code "pos:base58(current):
     * base58(parentFragment)"} otherwise; each hash is written as 8 big-endian bytes in the bitcoin base58 alphabet
     * (leading zero bytes become {@code '1'}).
     *
     * @return e.g. {@code "1:5DoCFWzkMT2:13HXQbvbzWn"}
     */
    @Override
    public String toString() {
        int position = position();
        StringBuilder sb = new StringBuilder(40).append(position).append(':');
        appendBase58(sb, currentSequenceHash());
        if (position != 0) {
            appendBase58(sb.append(':'), parentHashFragment());
        }
        return sb.toString();
    }

    private static SequenceHash encode(int position, long current, long fragment) {
        int mode = modeOf(position);
        int r = fragmentBits(mode);
        long high = ((long) mode << MODE_SHIFT) | ((long) position << r) | (current >>> (64 - r));
        long low = (current << r) | fragment;
        return new SequenceHash(high, low);
    }

    private static int decodePosition(long high, int mode) {
        int r = fragmentBits(mode);
        int positionBits = MODE_SHIFT - r;
        return (int) ((high >>> r) & ((1L << positionBits) - 1));
    }

    private static int modeOf(int position) {
        if (position < (1 << 8)) {
            return 0;
        }
        return position < (1 << 16) ? 1 : 2;
    }

    private static int fragmentBits(int mode) {
        return FRAGMENT_BITS[mode];
    }

    private static long fragmentMask(int mode) {
        return (1L << fragmentBits(mode)) - 1;
    }

    private static void checkPosition(String name, int position) {
        if (position < 0 || position > MAX_POSITION) {
            throw new IllegalArgumentException(name + " must be in [0, " + MAX_POSITION + "], got " + position);
        }
    }

    private static long readLong(byte[] bytes, int offset) {
        long v = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            v = (v << 8) | (bytes[offset + i] & 0xFFL);
        }
        return v;
    }

    private static void writeLong(byte[] bytes, int offset, long v) {
        for (int i = Long.BYTES - 1; i >= 0; i--) {
            bytes[offset + i] = (byte) v;
            v >>>= 8;
        }
    }

    private static String hex(long v) {
        return String.format("0x%016X", v);
    }

    /** Base58 of {@code value} as 8 big-endian bytes: one '1' per leading zero byte, then the number's digits. */
    private static void appendBase58(StringBuilder sb, long value) {
        int leadingZeroBytes = Long.numberOfLeadingZeros(value) / 8;
        for (int i = 0; i < leadingZeroBytes; i++) {
            sb.append(BASE58[0]);
        }
        char[] digits = new char[11]; // 58^11 > 2^64
        int n = digits.length;
        while (value != 0) {
            digits[--n] = BASE58[(int) Long.remainderUnsigned(value, 58)];
            value = Long.divideUnsigned(value, 58);
        }
        sb.append(digits, n, digits.length - n);
    }
}
