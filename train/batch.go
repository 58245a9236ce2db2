package train

// Batch is one mini-batch as a Learner consumes it. The loop declares this
// interface so that it never imports the data package: augment's batches
// satisfy it, and tests can hand a learner plain slices.
type Batch interface {
	// Len is the number of images in the batch.
	Len() int
	// Pixels holds the images as float32 in NCHW order with 3 channels:
	// Len()*3*H*W values, already normalised.
	Pixels() []float32
	// Labels holds one class index per image.
	Labels() []int
}

// SliceBatch is the simplest Batch: images and labels held in slices.
type SliceBatch struct {
	Images  []float32
	Classes []int
}

// Len implements Batch.
func (b SliceBatch) Len() int { return len(b.Classes) }

// Pixels implements Batch.
func (b SliceBatch) Pixels() []float32 { return b.Images }

// Labels implements Batch.
func (b SliceBatch) Labels() []int { return b.Classes }
