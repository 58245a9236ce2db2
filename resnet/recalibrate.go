package resnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/reslab/reslab/train"
)

// Recalibrate recomputes every BatchNorm layer's running statistics for the
// current weights from the batches it reads (train.Recalibrator): each
// batch runs through the backbone in training mode, without gradients, and
// the statistics become the plain average of the batches' own, as
// torch.optim.swa_utils.update_bn does. Fed unaugmented training images at
// the evaluation size, it is FixRes's recalibration: random-resized crops
// make objects look larger in training than at the same size in
// evaluation, and the statistics of one size mislead at the other.
//
// A frozen backbone (frozen mode, or a fine-tune's head-only epochs) keeps
// its statistics: they are part of what it was trained with, and the head
// learns on features made with them. Batches of one image are skipped
// (BatchNorm cannot take statistics of one value per channel). When no
// batch is used, or on an error or a cancelled ctx, the statistics are put
// back as they were.
func (m *Model) Recalibrate(ctx context.Context, batches train.BatchIter) (err error) {
	if m.cfg.Mode == ModeFrozen {
		return nil
	}
	for _, bn := range m.net.bns {
		bn.StartAveraging()
	}
	used := 0
	defer func() {
		for _, bn := range m.net.bns {
			bn.StopAveraging(err == nil && used > 0)
		}
		// The pass's graph is needed once per validation: free it rather
		// than hold a training-mode forward pass's activations all epoch.
		if c := m.graphs[graphRecalibrate]; c != nil {
			c.close()
			delete(m.graphs, graphRecalibrate)
			runtime.GC()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := batches.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("recalibrating BatchNorm: %w", err)
		}
		n := b.Len()
		if n < 2 {
			continue
		}
		if err := m.checkEvalBatch(b); err != nil {
			return fmt.Errorf("recalibrating BatchNorm: %w", err)
		}
		size := imageSide(len(b.Pixels()), n)
		lo := 0
		for _, part := range microBatches(n, m.MicroBatch(n)) {
			if err := ctx.Err(); err != nil {
				return err
			}
			hi := lo + part
			c, err := m.graphAt(graphRecalibrate, part, size)
			if err != nil {
				return err
			}
			if err := c.run(m.imageSlice(b, lo, hi), nil); err != nil {
				return fmt.Errorf("recalibrating BatchNorm: %w", err)
			}
			used++
			lo = hi
		}
	}
}
