/**
 * Implementation classes shared by several packages of the library. <strong>Not API</strong>: public only because
 * Java has no friend packages; they may change in any release, and a future {@code module-info} will not export this
 * package.
 */
@NullMarked
package io.kvbm.internal;

import org.jspecify.annotations.NullMarked;
