/**
 * The hierarchical allocator: {@link dev.agora.allocator.HierarchicalAllocator}, the default
 * {@link dev.agora.core.allocation.Allocator}, which shares agents among roles and then among the
 * frameworks of each role by weighted Dominant Resource Fairness.
 *
 * <p>Nullability: nothing in this package accepts or returns null; absent values are
 * {@link java.util.Optional}. Threading: everything here is confined to the master's event loop.
 */
package dev.agora.allocator;
